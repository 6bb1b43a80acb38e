"""Automation scripts: the registry, each script's config schema, the UI helpers, the scripts.

`default_registry(config)` builds a fresh Registry holding every built script; wiring calls it once
and hands the same instance to TaskService (validation) and the Engine (running).
"""

from __future__ import annotations

from typing import Any

from appliance.scripts.base import Script
from appliance.scripts.registry import KNOWN_TIKMATRIX_NAMES, Registry

__all__ = ["Script", "Registry", "KNOWN_TIKMATRIX_NAMES", "default_registry"]


def default_registry(config: Any = None, bind_accounts: Any = None) -> Registry:
    """A new Registry with every script this hub runs. Fresh each call, so tests may add
    their own scripts without leaking into other hubs. `config` gives the post script its
    media folder (without it, posts are refused); `bind_accounts(serial, usernames)` is how
    match_account writes to the account registry."""
    from appliance.scripts.account_warmup import AccountWarmup
    from appliance.scripts.comment import Comment
    from appliance.scripts.follow import Follow, Unfollow
    from appliance.scripts.match_account import MatchAccount
    from appliance.scripts.post import Post

    registry = Registry()
    registry.register(AccountWarmup())
    registry.register(Post(config.media_path if config is not None else None))
    registry.register(Follow())
    registry.register(Unfollow())
    registry.register(Comment())
    registry.register(MatchAccount(bind_accounts))
    return registry
