"""Masking at response serialisation: the one place personal data is shown or hidden.

Response schemas declare personal fields with :class:`Sensitive` (``Sensitive(value, "phone")``).
msgspec cannot encode it natively, so it reaches Litestar's ``type_encoders`` hook, which
masks it unless the principal's policy shows that class in full. The policy lives in a
contextvar set by the edge; with no policy set (a job, a log line, an unexpected path)
everything is masked — the failure mode is "too little shown", never "too much".

Text staff type (tags, notes, reasons, descriptions) is declared :class:`FreeText`: at the
same hook it is scanned with the platform's detectors (:mod:`pitstop.personal_data`, the
ones that redact logs and guard the outbox) and each phone, ID number, e-mail, plate or VIN
the reader sees masked is masked in place, in its class's format (``139****5678``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import msgspec
from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from pitstop.access.pii import PIIClass, mask
from pitstop.personal_data import Finding, map_strings, substitute

T = TypeVar("T")

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


class FreeText:
    """Text staff typed; personal data found in it is masked for a reader who sees it masked."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:  # the text may hold personal data: never print it
        return f"FreeText({len(self.value)} characters)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FreeText) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def free_text(value: str | None) -> FreeText | None:
    return None if value is None else FreeText(value)


def free_text_in(value: Any) -> Any:
    """Every string of a JSON document as :class:`FreeText` (plugin sections, audit detail)."""
    return map_strings(value, FreeText)


_SEPARATORS = re.compile(r"[ ·•.\-]")


def _canonical(finding: Finding) -> str:
    """The finding as the structured field would hold it, so it masks in the same format."""
    text = finding.text
    if finding.pii_class == "phone":
        digits = _SEPARATORS.sub("", text)
        return "+" + digits if re.fullmatch(r"86\d{11}", digits) else digits
    if finding.pii_class == "plate":
        return _SEPARATORS.sub("", text).upper()
    if finding.pii_class in ("vin", "id_number"):
        return text.upper()
    return text


def mask_text(text: str, visible: frozenset[str]) -> str:
    """``text`` with each finding of a class not in ``visible`` masked in place."""

    def masked(finding: Finding) -> str:
        if finding.pii_class in visible:
            return finding.text
        return mask(_canonical(finding), finding.pii_class) or ""

    return substitute(text, masked)


def encode_free_text(item: FreeText) -> str:
    return mask_text(item.value, _visible.get())


def _unwrap(item: Any) -> Any:
    if isinstance(item, Sensitive | FreeText):
        return item.value
    raise NotImplementedError(f"cannot convert {type(item).__name__}")


def unmasked_builtins(value: Any) -> Any:
    """JSON values with every personal value raw: only for the data subject's own export
    and for storing an answer to be served again (:func:`from_builtins`), never a response."""
    return msgspec.to_builtins(value, enc_hook=_unwrap)


def _wrap(kind: type, value: Any) -> Any:
    if kind is FreeText and isinstance(value, str):
        return FreeText(value)
    raise NotImplementedError(f"cannot rebuild {kind.__name__}")


def from_builtins(value: Any, shape: type[T]) -> T:
    """A stored answer as its response shape again, so serialisation masks it afresh."""
    return msgspec.convert(value, shape, dec_hook=_wrap)


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
    """Document Sensitive and FreeText fields as strings that say how they are masked."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Sensitive or value is FreeText

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        if field_definition.annotation is FreeText:
            return Schema(
                type="string",  # type: ignore[arg-type]
                description=(
                    "Free text; phones, ID numbers, e-mails, plates and VINs in it are masked "
                    "unless your role may see that class in full."
                ),
            )
        return Schema(
            type="string",  # type: ignore[arg-type]
            description="Personal data; masked unless your role may see this class in full.",
        )


TYPE_ENCODERS: dict[Any, Callable[[Any], Any]] = {
    Sensitive: encode_sensitive,
    FreeText: encode_free_text,
}
