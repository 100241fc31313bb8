"""PII classes and the mask formats people in China expect to see."""

from __future__ import annotations

import enum
import re

COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "令狐",
    "独孤",
    "南宫",
    "西门",
    "端木",
    "百里",
)


class PIIClass(enum.StrEnum):
    name = "name"
    phone = "phone"
    id_number = "id_number"
    email = "email"
    address = "address"
    plate = "plate"
    vin = "vin"
    birthday = "birthday"


def _stars(value: str) -> str:
    return "*" * min(max(len(value), 1), 12)


def mask_phone(value: str) -> str:
    digits = value.strip()
    if digits.startswith("+86") and len(digits) == 14:
        return f"+86 {digits[3:6]}****{digits[-4:]}"
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    keep = min(4, len(digits) // 2)
    return "*" * (len(digits) - keep) + digits[len(digits) - keep :]


def mask_name(value: str) -> str:
    name = value.strip()
    if re.match(r"^[A-Za-z][A-Za-z .'-]*$", name):
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) <= 1:
        return "*"
    for surname in COMPOUND_SURNAMES:
        if name.startswith(surname) and len(name) > 2:
            return surname + "*" * (len(name) - 2)
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(value: str) -> str:
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if len(value) <= 4:
        return _stars(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at or not local:
        return _stars(value)
    return f"{local[0]}***@{domain}"


_DISTRICT = re.compile(r"^(.*?(?:省|自治区))?(.*?市)?(.*?(?:区|县|旗))")


def mask_address(value: str) -> str:
    match = _DISTRICT.match(value)
    if match and match.group(3):
        return match.group(0) + "***"
    return value[:3] + "***"


def mask_plate(value: str) -> str:
    plate = value.replace("·", "").replace(" ", "")
    if len(plate) < 5:
        return _stars(plate)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


def mask_vin(value: str) -> str:
    if len(value) < 8:
        return _stars(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_birthday(value: str) -> str:
    match = re.match(r"^\d{4}-(\d{2})-(\d{2})", value)
    return f"****-{match[1]}-{match[2]}" if match else _stars(value)


_MASKS = {
    PIIClass.name: mask_name,
    PIIClass.phone: mask_phone,
    PIIClass.id_number: mask_id_number,
    PIIClass.email: mask_email,
    PIIClass.address: mask_address,
    PIIClass.plate: mask_plate,
    PIIClass.vin: mask_vin,
    PIIClass.birthday: mask_birthday,
}


def mask(value: str | None, pii_class: PIIClass | str) -> str | None:
    """Total: odd input is fully masked, never raised on and never shown."""
    if value is None or value == "":
        return value
    try:
        return _MASKS[PIIClass(pii_class)](str(value))
    except Exception:
        return _stars(str(value))
