"""Masking at response serialisation: the one place personal data is shown or hidden.

Response schemas declare personal fields with :class:`Sensitive` (``Sensitive(value, "phone")``).
msgspec cannot encode it natively, so it reaches Litestar's ``type_encoders`` hook, which
masks it unless the principal's policy shows that class in full. The policy lives in a
contextvar set by the edge; with no policy set (a job, a log line, an unexpected path)
everything is masked — the failure mode is "too little shown", never "too much".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from pitstop.access.pii import PIIClass, mask

DEFAULT_POLICY: Mapping[str, frozenset[str]] = {
    "hq_admin": frozenset(PIIClass),
    "store_manager": frozenset(PIIClass),
    "service_advisor": frozenset({"name", "phone", "plate", "vin"}),
    "technician": frozenset({"plate", "vin"}),
    "hq_analyst": frozenset(),
    "marketing": frozenset(),
}

_visible: ContextVar[frozenset[str]] = ContextVar("pitstop_pii_visible", default=frozenset())


class Sensitive:
    """A personal value on its way out; it is masked unless the reader may see it."""

    __slots__ = ("pii_class", "value")

    def __init__(self, value: str | None, pii_class: PIIClass | str) -> None:
        self.value = value
        self.pii_class = PIIClass(pii_class)

    def __repr__(self) -> str:  # never print the raw value, not even in a traceback
        return f"Sensitive({self.pii_class.value})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Sensitive)
            and other.value == self.value
            and other.pii_class == self.pii_class
        )

    def __hash__(self) -> int:
        return hash((self.value, self.pii_class))


def sensitive(value: str | None, pii_class: PIIClass | str) -> Sensitive | None:
    return None if value is None else Sensitive(value, pii_class)


def encode_sensitive(item: Sensitive) -> str | None:
    if item.value is None:
        return None
    if item.pii_class.value in _visible.get():
        return item.value
    return mask(item.value, item.pii_class)


def policy_for(role: str | None, overrides: Mapping[str, Any] | None = None) -> frozenset[str]:
    """Classes a role sees in full; a tenant's ``pii_policy`` setting overrides the default."""
    if role is None:
        return frozenset()
    if overrides and role in overrides:
        return frozenset(str(c) for c in overrides[role]) & frozenset(PIIClass)
    return DEFAULT_POLICY.get(role, frozenset())


@contextmanager
def pii_visibility(classes: frozenset[str]) -> Iterator[None]:
    token = _visible.set(classes)
    try:
        yield
    finally:
        _visible.reset(token)


class SensitiveSchemaPlugin(OpenAPISchemaPlugin):
    """Document a Sensitive field as a string with its PII class (``x-pii``)."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Sensitive

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            type="string",  # type: ignore[arg-type]
            description="Personal data; masked unless your role may see this class in full.",
        )


TYPE_ENCODERS = {Sensitive: encode_sensitive}
