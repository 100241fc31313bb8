"""Free text: one set of detectors masks responses, redacts logs and guards the outbox."""

from __future__ import annotations

import json

import msgspec
import pytest

from pitstop.access.masking import (
    FreeText,
    encode_free_text,
    from_builtins,
    mask_text,
    pii_visibility,
    policy_for,
    unmasked_builtins,
)
from pitstop.events.outbox import PersonalDataInEvent, _check_payload
from pitstop.logs import redact
from pitstop.personal_data import find

IN_TEXT = [
    ("phone", "请回电13912345678谢谢", "请回电139****5678谢谢"),
    ("phone", "call +86 139 1234 5678 now", "call +86 139****5678 now"),
    ("phone", "座机021-12345678", "座机021****5678"),
    ("id_number", "身份证11010519491231002x。", "身份证110105********002X。"),
    ("email", "邮箱nana@example.com，", "邮箱n***@example.com，"),
    ("email", "请联系zhang.san@qq.com", "请联系z***@qq.com"),
    ("plate", "车牌沪A12345停在门口", "车牌沪A***45停在门口"),
    ("plate", "新能源粤B·D12345", "新能源粤B****45"),
    ("vin", "车架号LSVAU2180N2183294。", "车架号LSV**********3294。"),
    ("vin", "vin lsvau2180n2183294", "vin LSV**********3294"),
]


@pytest.mark.parametrize(("pii_class", "raw", "masked"), IN_TEXT)
def test_free_text_is_masked_in_place_in_the_structured_format(
    pii_class: str, raw: str, masked: str
) -> None:
    # Given a sentence with one personal value in it
    # When it is masked for a reader who sees nothing in full
    # Then the value is masked as its structured field would be, the words around it kept
    assert [f.pii_class for f in find(raw)] == [pii_class]
    assert mask_text(raw, frozenset()) == masked
    # And a reader who sees the class in full reads it unchanged
    assert mask_text(raw, frozenset({pii_class})) == raw


@pytest.mark.parametrize(
    "text",
    [
        "更换机油机滤，下次保养 5000 公里",
        "order 01a20c15-d179-7684-9662-2cfc5b8f73b1",
        "2026-11-30T09:10:11.942619+08:00",
        "satisfaction=5 resolved=True",
        "ABCDEFGHJKLMNPRST",  # 17 letters: a word, not a VIN
        "12345678901234567",  # 17 digits: a number, not a VIN
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert find(text) == []
    assert mask_text(text, frozenset()) == text


def test_each_role_reads_free_text_masked_by_its_policy() -> None:
    # Given a note holding a phone, an ID number, an e-mail, a plate and a VIN
    note = FreeText("13912345678 11010519491231002X nana@example.com 沪A12345 LSVAU2180N2183294")
    # When a technician (sees plates and VINs) and an advisor (also phones) read it
    with pii_visibility(policy_for("technician")):
        technician = encode_free_text(note)
    with pii_visibility(policy_for("service_advisor")):
        advisor = encode_free_text(note)
    # Then each sees in full only the classes their policy shows
    assert technician == (
        "139****5678 110105********002X n***@example.com 沪A12345 LSVAU2180N2183294"
    )
    assert advisor.startswith("13912345678 110105********002X n***@")
    # And with no policy at all (a job, a log line) everything is masked
    assert "沪A***45" in encode_free_text(note)


def test_an_answer_stored_unmasked_is_masked_again_when_served() -> None:
    # Given an answer with free text, kept raw for an idempotent replay
    class Posting(msgspec.Struct):
        reason: FreeText
        tags: list[FreeText]

    stored = unmasked_builtins(Posting(FreeText("回电13912345678"), [FreeText("vip")]))
    assert stored == {"reason": "回电13912345678", "tags": ["vip"]}
    # When it is rebuilt and serialised for a reader without phones
    served = msgspec.json.encode(from_builtins(stored, Posting), enc_hook=encode_free_text)
    # Then the phone is masked again
    assert json.loads(served) == {"reason": "回电139****5678", "tags": ["vip"]}
    assert repr(FreeText("13912345678")) == "FreeText(11 characters)"


def test_logs_and_the_outbox_use_the_same_detectors() -> None:
    # Given a plate and a VIN (which the log redactor used to miss)
    for text in ("车牌沪A12345", "LSVAU2180N2183294"):
        # Then a log line redacts them and an event carrying them is refused
        assert redact(text) != text
        with pytest.raises(PersonalDataInEvent):
            _check_payload({"note": text})
    # And ids and facts still pass
    _check_payload({"order_id": "01a20c15-d179-7684-9662-2cfc5b8f73b1", "total": 12000})
