"""Automation scripts: the registry, each script's config schema, the UI helpers, the scripts.

`default_registry(config)` builds a fresh Registry holding every built script; wiring calls it once
and hands the same instance to TaskService (validation) and the Engine (running).
"""

from __future__ import annotations

from typing import Any

from appliance.config import Config
from appliance.scripts.base import Script
from appliance.scripts.registry import KNOWN_TIKMATRIX_NAMES, Registry

__all__ = ["KNOWN_TIKMATRIX_NAMES", "Registry", "Script", "default_registry"]


def default_registry(config: Config | None = None, accounts: Any = None, materials: Any = None) -> Registry:
    """A new Registry with every script this hub runs. Fresh each call, so tests may add
    their own scripts without leaking into other hubs. `config` gives the post script its
    media folder (without it, posts are refused); `accounts` (services.AccountService) is how
    match_account binds what it found and how app scripts learn an account's app package;
    `materials` (a scripts.material_source.MaterialLibrary: services.MaterialService) is the
    material library posts pick from (without it, `materialLibrary` posts fail)."""
    from appliance.scripts.account_warmup import AccountWarmup
    from appliance.scripts.app_script import AppScript
    from appliance.scripts.comment import Comment
    from appliance.scripts.follow import Follow, Unfollow
    from appliance.scripts.match_account import MatchAccount
    from appliance.scripts.material_source import HubMaterials
    from appliance.scripts.post import Post

    package = (config or Config()).app_package
    registry = Registry()
    media = config.media_path if config is not None else None
    post = Post(media, HubMaterials(media, materials))
    # The scripts TikMatrix lists as coming soon (issue 12).
    from appliance.scripts.like import Like
    from appliance.scripts.message import Message
    from appliance.scripts.profile import Profile
    from appliance.scripts.scrape_user import ScrapeUser

    social = (Like(), Message(), Profile(media), ScrapeUser())
    for script in (AccountWarmup(), post, Follow(),
                   Unfollow(), Comment(),
                   MatchAccount(accounts.bind_found if accounts is not None else None), *social):
        if isinstance(script, AppScript):
            script.package = package
            if accounts is not None:
                script.package_of = accounts.package_of
        registry.register(script)
    return registry
