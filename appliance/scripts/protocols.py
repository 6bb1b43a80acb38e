"""The script registry as the engine and services see it (typing.Protocol).

Implemented by scripts.registry.Registry; built once at wiring time, then only read, from
request threads (validation at create) and engine workers (run).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from appliance.scripts.base import Script


class ScriptRegistry(Protocol):
    """Scripts by name: `get` raises ScriptNotSupported (40003) for a name it does not hold."""

    def names(self) -> builtins.list[str]: ...

    def get(self, name: str) -> Script: ...

    def __contains__(self, name: str) -> bool: ...
