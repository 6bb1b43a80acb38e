"""JSON Schema validation that speaks the envelope: the first error becomes one InvalidParams.

Used for request bodies (api/schemas.py) and for each script's `script_config`; the message
names the field by its JSON path, e.g. "script_config.like_probable: 150 is greater than 100".
Pure: compiled validators are cached and only read, so any thread may call it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema.validators
from jsonschema import Draft202012Validator

from appliance.errors import InvalidParams


@functools.lru_cache(maxsize=256)
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` with JSON Schema's (ECMA-262) meaning of `$`: the end of the text. Python's `$`
    also matches before a final newline, which let "serial\\n" pass `^[A-Za-z0-9]+$`."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(r"\Z" if char == "$" and not in_class else char)
        i += 1
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: Any,
             schema: dict[str, Any]) -> Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(Draft202012Validator, {"pattern": _pattern})
_validators: dict[int, Draft202012Validator] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # Schemas are module-level constants; cache their compiled validators by identity.
    key = id(schema)
    validator = _validators.get(key)
    if validator is None:
        Draft202012Validator.check_schema(schema)
        validator = _validators[key] = _Validator(schema)
    return validator


def _field(path: Any, prefix: str) -> str:
    parts = [prefix] if prefix else []
    for part in path:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        else:
            parts.append(str(part))
    return ".".join(parts) or "body"


def _describe(error: jsonschema.ValidationError, prefix: str) -> str:
    field = _field(error.absolute_path, prefix)
    # A schema may carry {"errorMessage": {keyword: sentence}} for keywords whose stock message
    # means nothing to a user (oneOf, anyOf); validators ignore unknown keywords.
    custom = error.schema.get("errorMessage", {}) if isinstance(error.schema, dict) else {}
    if error.validator in custom:
        return f"{field}: {custom[error.validator]}"
    if error.validator == "required":
        return f"{_required_field(error, prefix)} is required"
    if error.validator == "additionalProperties":
        return f"{field}: {error.message}"
    instance = repr(error.instance)
    if len(instance) > 60:
        instance = instance[:57] + "..."
    if error.validator in ("type", "enum", "const"):
        return f"{field}: {instance} is {error.message.split(' is ', 1)[-1]}"
    if error.validator in ("maxLength", "minLength", "maxItems", "minItems", "pattern"):
        word = {"maxLength": "longer than {} characters", "minLength": "shorter than {} characters",
                "maxItems": "more than {} items", "minItems": "fewer than {} items",
                "pattern": "not in the form {}"}[error.validator]
        return f"{field}: is {word.format(error.validator_value)}"
    return f"{field}: {error.message}" if len(error.message) < 120 else f"{field}: invalid value"


def _required_field(error: jsonschema.ValidationError, prefix: str) -> str:
    missing = error.message.split("'")[1] if "'" in error.message else "?"
    return _field([*error.absolute_path, missing], prefix)


def validate(instance: Any, schema: dict[str, Any], prefix: str = "") -> None:
    """Raise InvalidParams naming the first offending field, or return None when valid."""
    errors = sorted(_validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        field = (_required_field(first, prefix) if first.validator == "required"
                 else _field(first.absolute_path, prefix))
        raise InvalidParams(f"Invalid parameter {_describe(first, prefix)}.", data={"field": field})


def apply_defaults(instance: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `instance` with each top-level property's schema `default` filled in."""
    out = dict(instance)
    for name, prop in schema.get("properties", {}).items():
        if name not in out and "default" in prop:
            out[name] = prop["default"]
    return out
