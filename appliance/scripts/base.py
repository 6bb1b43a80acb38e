"""The `Script` base class: what every automation script must provide to the registry and engine.

A Script instance is stateless and shared: `validate` and `fanout` run on request threads at
create time, `run` on an engine worker thread with its own `ScriptContext` per task.
"""

from __future__ import annotations

from typing import Any, ClassVar

from appliance.domain.schema import apply_defaults, validate
from appliance.errors import InvalidParams
from appliance.scripts.context import ScriptContext


class Script:
    """One automation script. Subclasses set `name` and `schema` and implement `run`."""

    #: the TikMatrix script name clients send as `script_name`
    name: str = ""
    #: JSON Schema 2020-12 for `script_config`: TikMatrix's field names and defaults.
    #: additionalProperties stays allowed: old clients send extra keys (docs/API.md, Transport).
    schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def validate(self, config: object) -> dict:
        """Return `config` with defaults applied, or raise InvalidParams naming
        "script_config.<field>". Every implementation must be pure (no I/O, no phone)."""
        if config is None:
            config = {}
        validate(config, self.schema, prefix="script_config")
        if not isinstance(config, dict):  # a script whose schema does not say "type": "object"
            raise InvalidParams("Invalid parameter script_config: send a JSON object.",
                                data={"field": "script_config"})
        config = apply_defaults(config, self.schema)
        self.check(config)
        return config

    def check(self, config: dict) -> None:
        """Cross-field rules a schema cannot say (e.g. min <= max); raise InvalidParams."""

    def fanout(self, config: dict) -> list[dict]:
        """Split one validated config into one config per task on a phone (docs/API.md, Fan-out:
        scripts with a list of targets make one task per target). Default: a single task."""
        return [config]

    def run(self, ctx: ScriptContext) -> str | None:
        """Do the work on `ctx.serial` through `ctx`; return the success remark (or None for "").

        Must check `ctx.check()` between steps (it raises when the task was stopped or its
        deadline passed) and must not swallow `TaskCancelled`. Any other exception fails
        the task with a remark built from it.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Script {self.name}>"
