"""Request and response shapes of the messaging API (strict: unknown fields are 422s).

A log entry carries no address and no body - there is none to carry - and the note staff
typed about a call is :class:`~pitstop.access.masking.FreeText`, masked by the reader's role.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from pitstop.access.masking import FreeText

ConsentPurpose = Literal["service", "marketing"]
Purpose = Literal["service", "marketing", "transactional"]
Medium = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Source = Literal[
    "front_desk", "phone", "mini_program", "web", "sms_reply", "unsubscribe_link", "import"
]
TemplateName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Field = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Note = Annotated[str, msgspec.Meta(max_length=1000)]


class ConsentIn(msgspec.Struct, forbid_unknown_fields=True):
    purpose: ConsentPurpose
    channel: Medium
    granted: bool
    source: Source
    notice_version: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "1"


class ConsentsIn(msgspec.Struct, forbid_unknown_fields=True):
    consents: Annotated[list[ConsentIn], msgspec.Meta(min_length=1, max_length=20)]


class ConsentOut(msgspec.Struct):
    purpose: str
    channel: str
    granted: bool
    source: str
    notice_version: str
    changed_at: dt.datetime


class ConsentsOut(msgspec.Struct):
    customer_id: uuid.UUID
    consents: list[ConsentOut]
    history: list[ConsentOut]


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    purpose: Purpose
    fields: Annotated[list[Field], msgspec.Meta(max_length=30)]
    body: Body
    channel: Medium | Literal["*"] = "*"
    locale: Literal["zh-CN", "en"] = "zh-CN"


class TemplateOut(msgspec.Struct):
    name: str
    purpose: str
    fields: list[str]
    body: str
    channel: str
    locale: str
    shipped: bool


class PreviewIn(msgspec.Struct, forbid_unknown_fields=True):
    channel: Medium | Literal["*"] = "*"
    data: dict[str, str | int] = {}


class PreviewOut(msgspec.Struct):
    name: str
    body: str


class ManualIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    channel: Literal["phone", "visit", "wecom", "sms"]
    outcome: Literal["reached", "no_answer", "declined", "callback", "wrong_number"]
    note: Note | None = None
    store_id: uuid.UUID | None = None


class MessageOut(msgspec.Struct):
    id: uuid.UUID
    customer_id: uuid.UUID | None
    staff_id: uuid.UUID | None
    store_id: uuid.UUID | None
    purpose: str
    channel: str
    template: str | None
    status: str
    manual: bool
    outcome: str | None
    note: FreeText | None
    receipt_id: str | None
    attempts: int
    created_at: dt.datetime
    send_after: dt.datetime | None
    sent_at: dt.datetime | None


def sample_data(fields: list[str] | tuple[str, ...], given: dict[str, Any]) -> dict[str, Any]:
    """Sample values for a preview: what was given, else the field's name in brackets."""
    return {name: given.get(name, f"[{name}]") for name in fields}
