"""The hub's plan: `config.plan`, overridden by the state file `plan` that `appliance license set` writes.

Read on every request (a cached stat), so a plan change applies without a restart.
Called from request threads and from the engine's loop thread (device_limit at every
dispatch pass); the only state is a thread-safe CachedFile.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from appliance.domain.plans import Plan, plan_named
from appliance.errors import ConfigError
from appliance.services.statefiles import PLAN_FILE, CachedFile, write_atomic

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.storage import Store


class FleetQuota(Protocol):
    """What the license needs of services.fleet.FleetMember: the gateway's quota."""

    def device_limit(self) -> int: ...

    def quota_info(self) -> dict[str, Any]: ...


class LicenseService:
    def __init__(self, config: Config, store: Store | None = None):
        self._default = plan_named(config.plan)
        self._file = CachedFile(Path(config.state_dir) / PLAN_FILE)
        self._named = functools.lru_cache(maxsize=8)(self._plan_in)
        # services.fleet.FleetMember when this hub is in a fleet (issue 17): its quota caps the
        # device limit and /license/check shows it. None: a standalone hub.
        self.fleet: FleetQuota | None = None

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

    def device_limit(self) -> int:
        """Phones that may run at once: the plan's, capped by the fleet quota in a fleet."""
        if self.fleet is not None:
            return self.fleet.device_limit()
        return self.plan().device_limit

    def check(self) -> dict[str, Any]:
        data = self.plan().describe()
        if self.fleet is not None:
            fleet = self.fleet.quota_info()
            data["device_limit"] = fleet["device_limit"]
            data["plan_device_limit"] = self.plan().device_limit
            data["fleet"] = fleet
            data["message"] = f"{data['message']} {fleet['message']}"
        return data


def set_plan(state_dir: Path, name: str) -> Plan:
    """Persist the administrator's plan choice (admin CLI). Raises ConfigError for unknown names."""
    try:
        plan = plan_named(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]).capitalize() + ".") from None
    write_atomic(Path(state_dir) / PLAN_FILE, plan.name + "\n", mode=0o644)
    return plan
