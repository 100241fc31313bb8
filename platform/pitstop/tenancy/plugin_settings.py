"""Plugin settings: a msgspec Struct per plugin, validated field by field.

msgspec stops at the first error; a chain's administrator fixing a settings form wants
every bad field named at once, so each top-level field is checked on its own (the others
at their defaults), then the whole object (cross-field rules in ``__post_init__``).
Settings are stored complete (defaults filled in), so what a tenant runs on is visible.

Tenancy holds a tenant's plugin switches and settings (``TenantPlugin``), and manifests
validate them before anything is applied, so the validation sits here, below the plugin
host that also uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from pitstop.errors import Unprocessable, split_msgspec_error

S = TypeVar("S", bound=msgspec.Struct)


def settings_from_stored(schema: type[S], stored: Mapping[str, Any]) -> S:
    """Stored settings are valid by construction; unknown (old) keys are dropped."""
    known = {k: v for k, v in stored.items() if k in schema.__struct_fields__}
    try:
        return msgspec.convert(known, schema)
    except msgspec.ValidationError:
        return msgspec.convert({}, schema)  # an older, now-invalid shape: run on defaults


_SETTING_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")


def _unknown_field(key: str) -> str:
    """An unknown key is named only when it could be a setting's name: the body's keys are
    the client's text, and a phone number sent as a key must not come back in the error."""
    return f"settings.{key}" if _SETTING_NAME.fullmatch(key) else "settings"


def validate_settings(
    schema: type[S], current: Mapping[str, Any], incoming: Mapping[str, Any]
) -> tuple[S, dict[str, Any]]:
    """Merge ``incoming`` over ``current`` (top-level keys) and validate; 422 names fields."""
    errors = [
        {"field": _unknown_field(key), "message": "unknown setting"}
        for key in incoming
        if key not in schema.__struct_fields__
    ]
    for key, value in incoming.items():
        if key in schema.__struct_fields__:
            message = _problem(schema, {key: value})
            if message is not None:
                errors.append(_error(key, message))
    merged = {**current, **incoming}
    merged = {k: v for k, v in merged.items() if k in schema.__struct_fields__}
    if not errors:
        message = _problem(schema, merged)
        if message is not None:
            errors.append(_error("", message))
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Unprocessable(detail, code="invalid_settings", errors=errors)
    value = msgspec.convert(merged, schema)
    return value, msgspec.to_builtins(value)


def settings_schema(schema: type[msgspec.Struct]) -> dict[str, Any]:
    return msgspec.json.schema(schema)


def _problem(schema: type[msgspec.Struct], data: Mapping[str, Any]) -> str | None:
    try:
        msgspec.convert(dict(data), schema)
    except msgspec.ValidationError as exc:
        return str(exc)
    return None


def _error(key: str, message: str) -> dict[str, str]:
    path, text = split_msgspec_error(message)
    path = path or key
    return {"field": "settings" + (f".{path}" if path else ""), "message": text}
