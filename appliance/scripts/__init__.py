"""Automation scripts: the registry, each script's config schema, the UI helpers, the scripts.

`default_registry()` builds a fresh Registry holding every built script; wiring calls it once
and hands the same instance to TaskService (validation) and the Engine (running).
"""

from __future__ import annotations

from appliance.scripts.base import Script
from appliance.scripts.registry import KNOWN_TIKMATRIX_NAMES, Registry

__all__ = ["Script", "Registry", "KNOWN_TIKMATRIX_NAMES", "default_registry"]


def default_registry() -> Registry:
    """A new Registry with every script this hub runs. Fresh each call, so tests may add
    their own scripts without leaking into other hubs."""
    from appliance.scripts.account_warmup import AccountWarmup

    registry = Registry()
    registry.register(AccountWarmup())
    return registry
