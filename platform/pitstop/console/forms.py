"""Form posts to the API's request shapes, and the API's field errors back to the form.

A form sends strings; the services take the API's msgspec shapes. :func:`convert` drops
blank optional fields and decodes with ``strict=False`` (so "2026-01-31" and "3" become a
date and a number), then the services validate exactly as they do for JSON. Errors, from
msgspec or from a service's :class:`~pitstop.errors.Unprocessable`, come back as
``{field: message}`` so each one is shown beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec

from pitstop.crm.schemas import decode_strict, is_strict_number
from pitstop.errors import ApiError, split_msgspec_error

T = TypeVar("T")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")


class FormErrors(Exception):
    """Field → message, for the form to show beside each field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def _decode(kind: type, value: Any) -> Any:
    if is_strict_number(kind):
        return decode_strict(kind, value)
    raise NotImplementedError


def convert(values: Mapping[str, Any], shape: type[T], prefix: str = "") -> T:
    """``values`` (blank ones dropped) as ``shape``; :class:`FormErrors` names bad fields."""
    given = {k: v for k, v in values.items() if v not in ("", None)}
    try:
        return msgspec.convert(given, shape, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as exc:
        path, message = split_msgspec_error(str(exc), shape)
        missing = _MISSING.match(message)
        if missing:  # a blank required field: say so beside it
            where = ".".join(p for p in (path, missing.group(1)) if p)
            raise FormErrors({prefix + where: "is required"}) from None
        raise FormErrors({prefix + (path or "form"): message}) from None


def errors_of(exc: ApiError, prefix: str = "") -> dict[str, str]:
    """A service's field errors; a field it does not name is the form's as a whole."""
    if not exc.errors:
        return {prefix + "form": exc.detail}
    return {prefix + (e.get("field") or "form"): e.get("message", "") for e in exc.errors}


def yuan_to_fen(text: str, field: str) -> int:
    """ "120.5" yuan as 12050 fen; the form takes yuan, the services fen."""
    try:
        value = Decimal(text.strip().replace(",", "").lstrip("¥"))
    except InvalidOperation:
        raise FormErrors({field: "must be an amount such as 120 or 120.50"}) from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise FormErrors({field: "must be an amount such as 120 or 120.50"})
    return int(value * 100)


def quantity_of(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise FormErrors({field: "must be a number such as 2 or 4.5"}) from None
    return value
