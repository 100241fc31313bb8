"""Masking: each PII class in its format, each default role per policy, logs redacted."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
import structlog

from pitstop.access.masking import DEFAULT_POLICY, Sensitive, pii_visibility, policy_for
from pitstop.access.pii import PIIClass, mask
from pitstop.logs import configure_logging
from pitstop.settings import Settings

FORMATS = [
    ("phone", "13912345678", "139****5678"),
    ("phone", "+8613912345678", "+86 139****5678"),
    ("name", "张三", "张*"),
    ("name", "欧阳娜娜", "欧阳**"),
    ("id_number", "110105199001011234", "110105********1234"),
    ("email", "zhang.san@example.com", "z***@example.com"),
    ("address", "上海市浦东新区张江路88号3栋", "上海市浦东新区***"),
    ("plate", "沪A12345", "沪A***45"),
    ("plate", "粤BD12345", "粤B****45"),
    ("vin", "LSVAU2180N2183294", "LSV**********3294"),
    ("birthday", "1990-05-17", "****-05-17"),
]


@pytest.mark.parametrize(("pii_class", "raw", "masked"), FORMATS)
def test_each_class_masks_in_the_expected_format(pii_class: str, raw: str, masked: str) -> None:
    assert mask(raw, pii_class) == masked


class Card(msgspec.Struct):
    name: Sensitive
    phone: Sensitive
    id_number: Sensitive
    plate: Sensitive
    vin: Sensitive


SAMPLE = {
    "name": "张三",
    "phone": "13912345678",
    "id_number": "110105199001011234",
    "plate": "沪A12345",
    "vin": "LSVAU2180N2183294",
}


def _encode(card: Card) -> dict[str, str]:
    from pitstop.access.masking import encode_sensitive

    return json.loads(msgspec.json.encode(card, enc_hook=encode_sensitive))  # type: ignore[no-any-return]


@pytest.mark.parametrize("role", sorted(DEFAULT_POLICY))
def test_each_default_role_sees_what_the_policy_says(role: str) -> None:
    # Given a record with five classes of personal data
    card = Card(**{k: Sensitive(v, k) for k, v in SAMPLE.items()})
    # When it is serialised for the role
    with pii_visibility(policy_for(role)):
        shown = _encode(card)
    # Then each field is raw exactly when the policy shows that class in full
    for field, raw in SAMPLE.items():
        full = field in DEFAULT_POLICY[role]
        assert (shown[field] == raw) is full, (role, field, shown[field])
        if not full:
            assert shown[field] == mask(raw, field)


def test_without_a_policy_everything_is_masked() -> None:
    card = Card(**{k: Sensitive(v, k) for k, v in SAMPLE.items()})
    assert all(_encode(card)[f] != raw for f, raw in SAMPLE.items())


def test_tenant_policy_override() -> None:
    assert policy_for("marketing", {"marketing": ["name"]}) == frozenset({"name"})
    assert policy_for("custom_role") == frozenset()
    assert repr(Sensitive("13912345678", PIIClass.phone)) == "Sensitive(phone)"


def test_personal_data_never_reaches_the_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given structured logging configured as the app does
    configure_logging(
        Settings.from_env({"PITSTOP_VAR_DIR": str(tmp_path), "PITSTOP_LOG_JSON": "1"})
    )
    log = structlog.get_logger("test")
    # When a careless line logs a phone, an ID number and an e-mail
    log.warning(
        "customer_called",
        body={"phone": "13912345678", "note": "id 110105199001011234"},
        contact="zhang.san@example.com",
        text="call +8613912345678 now",
    )
    err = capsys.readouterr().err
    # Then none of them appears
    for secret in ("13912345678", "110105199001011234", "zhang.san@example.com"):
        assert secret not in err
    assert "[redacted]" in err


def test_ids_are_not_mistaken_for_phone_numbers() -> None:
    # Given a UUID whose digits and dashes read like a mobile number ("179-7684-9662")
    from pitstop.logs import redact

    value = "order 01a20c15-d179-7684-9662-2cfc5b8f73b1 for 13812345678"
    # Then the id survives redaction and the phone number next to it does not
    assert redact(value) == "order 01a20c15-d179-7684-9662-2cfc5b8f73b1 for [redacted]"
