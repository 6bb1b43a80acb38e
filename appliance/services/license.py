"""The hub's plan: `config.plan`, overridden by the state file `plan` that `appliance license set` writes.

Read on every request (a cached stat), so a plan change applies without a restart.
Called from request threads and from the engine's loop thread (device_limit at every
dispatch pass); the only state is a thread-safe CachedFile.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from appliance.domain.plans import Plan, plan_named
from appliance.errors import ConfigError
from appliance.services.statefiles import PLAN_FILE, CachedFile, write_atomic


class LicenseService:
    def __init__(self, config: Any, store: Any = None):
        self._default = plan_named(config.plan)
        self._file = CachedFile(Path(config.state_dir) / PLAN_FILE)
        self._named = functools.lru_cache(maxsize=8)(self._plan_in)

    def plan(self) -> Plan:
        text = self._file.read()
        if not text:
            return self._default
        return self._named(text)   # the file's text -> Plan, cached: asked on every request

    def _plan_in(self, text: str) -> Plan:
        try:
            return plan_named(text)
        except KeyError:
            # A hand-edited file must not open or close the API by accident: fall back loudly.
            return self._default

    def check(self) -> dict:
        return self.plan().describe()


def set_plan(state_dir: Path, name: str) -> Plan:
    """Persist the administrator's plan choice (admin CLI). Raises ConfigError for unknown names."""
    try:
        plan = plan_named(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]).capitalize() + ".") from None
    write_atomic(Path(state_dir) / PLAN_FILE, plan.name + "\n", mode=0o644)
    return plan
