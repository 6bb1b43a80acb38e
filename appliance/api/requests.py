"""Reading requests: JSON bodies (bounded, strictly parsed) and query strings, against schemas."""

from __future__ import annotations

import json
from typing import Any

from appliance.domain.schema import apply_defaults, validate
from appliance.errors import BodyTooLarge, InvalidParams


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json(req, max_bytes: int, schema: dict | None = None, required: bool = True) -> Any:
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
        body: Any = {}
    else:
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise InvalidParams("The request body is not UTF-8; send JSON encoded as UTF-8.") from None
        except ValueError as exc:
            raise InvalidParams(f"The request body is not valid JSON: {exc}.") from None
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
