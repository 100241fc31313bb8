"""WeCom's customer-contact events (客户联系变更回调), linking customers as they add staff.

A staff member's "contact me" QR code (联系我, ``add_contact_way``) is made with a
``state`` naming the customer - :func:`state_for` - so when the customer scans it and adds
the staff member, WeCom's ``add_external_contact`` event carries both the state and the
new ``ExternalUserID``: the customer is linked without anyone typing an id. When the
customer deletes the staff member (``del_follow_user``) or the enterprise deletes the
customer (``del_external_contact``), the link goes.

WeCom cannot add an API key, so the tenant's relay forwards the callback unchanged -
query and encrypted body - to ``POST /api/v1/wecom/events`` with a key holding
``wecom:contacts``; Pitstop checks WeCom's signature with the tenant's Token, opens the
message with its EncodingAESKey (:mod:`pitstop_wecom.crypto`) and refuses anything else.
``POST /api/v1/wecom/events/verify`` answers WeCom's URL check (the ``echostr``).
"""

from __future__ import annotations

import base64
import binascii
import uuid
import xml.etree.ElementTree as ET
from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from pitstop.sdk import PluginContext, Unprocessable, get_customer

from .contacts import link_contact, unlink_external
from .crypto import BadCallback, open_message
from .settings import WecomSettings

MAX_BODY = 64 * 1024
STATE_PREFIX = "p"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


def state_for(customer_id: uuid.UUID) -> str:
    """The ``state`` of a customer's contact-me QR code: 23 characters (WeCom allows 30)."""
    return STATE_PREFIX + base64.urlsafe_b64encode(customer_id.bytes).decode().rstrip("=")


def customer_of(state: str) -> uuid.UUID | None:
    if not state.startswith(STATE_PREFIX) or len(state) != 23:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(state[1:] + "=="))
    except (binascii.Error, ValueError):
        return None


def _opened(ctx: PluginContext[WecomSettings], query: dict[str, str], encrypted: str) -> bytes:
    settings = ctx.settings
    try:
        return open_message(
            token=settings.callback_token_secret, aes_key=settings.callback_aes_key_secret,
            corp_id=settings.corp_id, msg_signature=query["msg_signature"],
            timestamp=query["timestamp"], nonce=query["nonce"], encrypted=encrypted,
        )  # fmt: skip
    except BadCallback as exc:
        raise Unprocessable.field("msg_signature", str(exc), code="bad_callback") from None


def _fields(xml: bytes, field: str) -> dict[str, str]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        raise Unprocessable.field(field, "not WeCom's XML", code="bad_callback") from None
    return {child.tag: (child.text or "").strip() for child in root}


class EventOut(msgspec.Struct):
    outcome: str
    """``linked``, ``unlinked`` or ``ignored`` (another event, an unknown customer)."""


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    msg_signature: Annotated[str, msgspec.Meta(max_length=64)]
    timestamp: Annotated[str, msgspec.Meta(max_length=16)]
    nonce: Annotated[str, msgspec.Meta(max_length=64)]
    echostr: Text


class VerifyOut(msgspec.Struct):
    echostr: str
    """What the relay answers WeCom's GET with, as plain text."""


class EventsController(Controller):
    path = "/events"
    tags = ["wecom"]

    @post("/", status_code=200, opt={"permission": "wecom:contacts"})
    async def take_event(
        self, ctx: NamedDependency[PluginContext[WecomSettings]], request: Request,
        msg_signature: FromQuery[str], timestamp: FromQuery[str], nonce: FromQuery[str],
    ) -> EventOut:  # fmt: skip
        body = await request.body()
        if len(body) > MAX_BODY:
            raise Unprocessable.field("body", "too large", code="bad_callback")
        encrypted = _fields(body, "body").get("Encrypt", "")
        query = {"msg_signature": msg_signature, "timestamp": timestamp, "nonce": nonce}
        event = _fields(_opened(ctx, query, encrypted), "Encrypt")
        outcome, customer_id = await _apply(ctx, event)
        detail = {"outcome": outcome, "change": event.get("ChangeType", "")[:40]}
        await ctx.audit(
            "wecom.event_received", resource="customer", resource_id=customer_id, detail=detail
        )
        return EventOut(outcome)

    @post("/verify", status_code=200, opt={"permission": "wecom:contacts"})
    async def verify_url(
        self, ctx: NamedDependency[PluginContext[WecomSettings]], data: JSONBody[VerifyIn]
    ) -> VerifyOut:
        query = {"msg_signature": data.msg_signature, "timestamp": data.timestamp,
                 "nonce": data.nonce}  # fmt: skip
        return VerifyOut(_opened(ctx, query, data.echostr).decode(errors="replace"))


async def _apply(
    ctx: PluginContext[WecomSettings], event: dict[str, str]
) -> tuple[str, uuid.UUID | None]:
    if event.get("Event") != "change_external_contact":
        return "ignored", None
    change, external = event.get("ChangeType", ""), event.get("ExternalUserID", "")
    if change in ("del_external_contact", "del_follow_user"):
        customer_id = await unlink_external(ctx, external)
        return ("unlinked" if customer_id else "ignored"), customer_id
    if change not in ("add_external_contact", "edit_external_contact"):
        return "ignored", None
    customer_id = customer_of(event.get("State", ""))
    found = None if customer_id is None else await get_customer(ctx, customer_id)
    if customer_id is None or found is None or found.erased or found.internal:
        return "ignored", None
    if not external or len(external) > 64:
        return "ignored", None
    await link_contact(ctx, customer_id, external)
    return "linked", customer_id
