"""Validation of the identifiers a front desk types: phones, ID numbers, VINs and plates.

Each function returns the canonical stored form or raises ``Unprocessable`` naming the
field, never echoing the value (it is personal data). Canonical forms make lookups exact:
phones are E.164, plates are upper case without separators, VINs upper case.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError
from vininfo import Vin
from vininfo.exceptions import ValidationError as VinError

from pitstop.errors import Unprocessable

DEFAULT_REGION = "CN"
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O (they read as 1 and 0)
_PLATE_ORDINARY = re.compile(
    rf"^[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]$"
)
_PLATE_NEW_ENERGY = re.compile(
    rf"^[{PROVINCES}][{_LETTER}](?:[DF][{_LETTER}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$"
)
"""GB 2019 new-energy plates: 8 characters, D (electric) or F (hybrid) after the city letter
for small cars, or at the end for large ones."""
_PLATE_SEPARATORS = re.compile(r"[\s·•.\-]")
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(value: str, field: str = "phone", region: str = DEFAULT_REGION) -> str:
    """Parse a phone (``138 1234 5678``, ``+86-138...``) into E.164 or refuse it."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise Unprocessable.field(field, "not a phone number", code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Unprocessable.field(field, "not a valid phone number", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_last4(e164: str) -> str:
    return e164[-4:]


def looks_like_phone(text: str) -> str | None:
    """The E.164 form if ``text`` is a full phone number, else None (search uses this)."""
    digits = re.sub(r"[\s\-()]", "", text)
    if not re.fullmatch(r"\+?\d{7,15}", digits):
        return None
    try:
        return normalize_phone(digits)
    except Unprocessable:
        return None


def normalize_id_number(value: str, field: str = "id_number") -> str:
    """A PRC resident ID number (18 characters, checksum and birth date checked)."""
    try:
        return str(ric.validate(value.strip().upper()))
    except StdnumError:
        raise Unprocessable.field(
            field, "not a valid resident ID number", code="invalid_id_number"
        ) from None


def normalize_plate(value: str, field: str = "plate") -> str:
    plate = _PLATE_SEPARATORS.sub("", value).upper()
    if not (_PLATE_ORDINARY.match(plate) or _PLATE_NEW_ENERGY.match(plate)):
        raise Unprocessable.field(
            field, "not a licence plate of the GB pattern", code="invalid_plate"
        )
    return plate


def looks_like_plate(text: str) -> str | None:
    try:
        return normalize_plate(text)
    except Unprocessable:
        return None


@dataclass(frozen=True)
class DecodedVin:
    vin: str
    manufacturer: str | None
    country: str | None
    model_year: int | None


def vin_check_digit(vin17: str) -> str:
    """The ISO 3779 / GB 16735 check digit (position 9) for a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin17, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str, field: str = "vin", today: dt.date | None = None) -> DecodedVin:
    """Check the VIN's form and check digit with vininfo, and decode what it tells."""
    text = value.strip().upper()
    try:
        vin = Vin(text)
    except VinError as exc:
        raise Unprocessable.field(field, str(exc).strip(), code="invalid_vin") from None
    if not vin.verify_checksum(check_year=False):
        raise Unprocessable.field(field, "checksum digit does not match", code="invalid_vin")
    return DecodedVin(text, _known(vin.manufacturer), _known(vin.country), _year(vin, today))


def _known(value: object) -> str | None:
    text = str(value) if value is not None else ""
    return None if not text or text.lower() in {"unsupported", "unknown"} else text


def _year(vin: Vin, today: dt.date | None) -> int | None:
    """Position 10 repeats every 30 years: take the latest candidate not in the future."""
    limit = (today or dt.date.today()).year + 1
    try:
        candidates = [y for y in vin.years if y <= limit]
    except (KeyError, ValueError, IndexError):
        return None
    return max(candidates) if candidates else None


def normalize_email(value: str, field: str = "email") -> str:
    email = value.strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise Unprocessable.field(field, "not an e-mail address", code="invalid_email")
    return email
