"""The script registry: the one place that maps a `script_name` to a Script (loud on mistakes).

Built once at wiring time and then only read, from request threads (create-time validation)
and engine workers (run); registration is not meant to race with lookups.
"""

from __future__ import annotations

from appliance.errors import ScriptNotSupported
from appliance.scripts.base import Script

# TikMatrix script names that exist in TikMatrix but that this hub does not run yet: asking
# for them is a 40003 that says so, not a generic "unknown script".
KNOWN_TIKMATRIX_NAMES = (
    "super_marketing", "login",
)


class Registry:
    """Scripts by name. `register` raises on a duplicate; `get` raises ScriptNotSupported."""

    def __init__(self) -> None:
        self._scripts: dict[str, Script] = {}

    def register(self, script: Script) -> Script:
        if not script.name:
            raise ValueError(f"{script!r} has no name")
        if script.name in self._scripts:
            raise ValueError(f"a script named {script.name!r} is already registered")
        self._scripts[script.name] = script
        return script

    def names(self) -> list[str]:
        return sorted(self._scripts)

    def get(self, name: str) -> Script:
        script = self._scripts.get(name)
        if script is not None:
            return script
        supported = ", ".join(self.names()) or "none"
        data = {"script_name": name, "supported": self.names()}
        if name in KNOWN_TIKMATRIX_NAMES:
            raise ScriptNotSupported(
                f"Script {name!r} is not supported via the API yet. Supported scripts: {supported}.",
                data=data)
        raise ScriptNotSupported(
            f"Unknown script {name!r}. Supported scripts: {supported}.", data=data)

    def __contains__(self, name: str) -> bool:
        return name in self._scripts
