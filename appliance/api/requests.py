"""Reading requests: JSON bodies (bounded, strictly parsed) and query strings, against schemas.

Pure helpers called on waitress worker threads; no shared state."""

from __future__ import annotations

import json
import math
from typing import Any

from appliance.domain.schema import apply_defaults, validate
from appliance.errors import BodyTooLarge, InvalidParams

# Deeper JSON is never a real request, and the store and validators recurse into every level.
MAX_DEPTH = 32
_BOOLEANS = {**dict.fromkeys(("true", "t", "yes", "y", "1", "on"), True),   # falcon's words
             **dict.fromkeys(("false", "f", "no", "n", "0", "off"), False)}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Floats:
    """json.loads's parse_float hook: notes whether any number overflowed to +-Infinity
    (`1e400`), which JSON cannot carry back out: stored, it would break every reader."""

    def __init__(self) -> None:
        self.non_finite = False

    def __call__(self, text: str) -> float | int:
        value = float(text)
        if not math.isfinite(value):
            self.non_finite = True
        # JSON Schema calls 2.0 an integer, so it passes "integer" fields: make it one (a task
        # id 2.0 was a 500 in the store).
        return int(value) if value.is_integer() and abs(value) < 2 ** 63 else value


def _non_finite_field(body: object) -> tuple[str, object]:
    """The dotted path (`script_config.count`, `serials[2]`) of the first non-finite number."""
    stack: list[tuple[object, str]] = [(body, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path, value
        if isinstance(value, dict):
            stack.extend((item, f"{path}.{key}" if path else str(key))
                         for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return "", None


def _depth(body: object) -> int:
    """Nesting depth of parsed JSON, walked without recursion."""
    deepest, stack = 0, [(body, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((item, level + 1) for item in
                             (value.values() if isinstance(value, dict) else value))
    return deepest


def _unicode_ok(body: object) -> bool:
    """No lone surrogate from a `\\ud800` escape: such text has no UTF-8 form, so it could
    reach neither a phone nor an answer."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_json(req, max_bytes: int, schema: dict | None = None, required: bool = True) -> dict[str, Any]:
    """The request body parsed as a JSON object and validated against `schema` (defaults applied).

    Bounded even without Content-Length (chunked): more than `max_bytes` is 41301.
    """
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"Request body is over the limit of {max_bytes} bytes; "
                           "send less data per request.")
    if not raw.strip():
        if required:
            raise InvalidParams("The request body is empty; send a JSON object.")
        body: object = {}
    else:
        floats = _Floats()
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                              parse_float=floats)
        except UnicodeDecodeError:
            raise InvalidParams("The request body is not UTF-8; send JSON encoded as UTF-8.") from None
        except RecursionError:
            raise InvalidParams(f"The request body is nested more than {MAX_DEPTH} levels deep; "
                                "send flatter JSON.") from None
        except ValueError as exc:
            if "integer string conversion" in str(exc):
                raise InvalidParams("The request body holds a number with thousands of digits; "
                                    "no field takes one that large.") from None
            raise InvalidParams(f"The request body is not valid JSON: {exc}.") from None
        # Only a body with many brackets can be deep; count them in C before walking it.
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(body) > MAX_DEPTH:
            raise InvalidParams(f"The request body is nested more than {MAX_DEPTH} levels deep; "
                                "send flatter JSON.")
        if floats.non_finite:
            field, _value = _non_finite_field(body)
            raise InvalidParams(f"Invalid parameter {field or 'body'}: the number is too large to "
                                "be a finite number (JSON numbers must be finite); send a "
                                "smaller value.", data={"field": field or None})
        if b"\\u" in raw and not _unicode_ok(body):
            raise InvalidParams("The request body holds a lone UTF-16 surrogate escape (such as "
                                "\\ud800); send text as valid Unicode.")
    if not isinstance(body, dict):
        raise InvalidParams("The request body must be a JSON object.")
    return body if schema is None else checked(body, schema)


def checked(body: dict, schema: dict) -> dict:
    """`body` validated against `schema` (InvalidParams naming the field), defaults filled in."""
    validate(body, schema)
    return apply_defaults(body, schema)


def read_query(req, schema: dict) -> dict:
    """Known query parameters converted by their schema type and validated; others ignored."""
    out: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        value = req.get_param(name)
        if value is None:
            continue
        if prop.get("type") == "integer":
            try:
                value = int(value.strip())
            except ValueError:
                raise InvalidParams(f"Invalid parameter {name}: {value!r} is not an integer.",
                                    data={"field": name}) from None
        elif prop.get("type") == "boolean":
            word = value.strip().lower()
            if word not in _BOOLEANS:
                raise InvalidParams(f"Invalid parameter {name}: {value!r} is not true or false.",
                                    data={"field": name})
            value = _BOOLEANS[word]
        out[name] = value
    validate(out, schema)
    return apply_defaults(out, schema)


def path_id(value: str, name: str = "task_id") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or str(number) != value:
        raise InvalidParams(f"Invalid parameter {name}: {value!r} is not a positive integer id.",
                            data={"field": name})
    return number
