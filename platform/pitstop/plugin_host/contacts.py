"""Contact-log and consent writes a plugin may make for a customer (SDK 1.3).

A worklist plugin (retention's recall and follow-up calls) records what happened on a
call in the same contact log staff use (``POST /api/v1/messages/manual``), and a customer
who says "do not contact me" on such a call has their marketing consent withdrawn exactly
as the consent route would do it: history row, audit entry, one place for the rule.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from pitstop.access import audit
from pitstop.crm.models import Customer
from pitstop.crm.validators import normalize_phone
from pitstop.errors import NotFound, Unprocessable
from pitstop.messaging import consents, service, unsubscribe
from pitstop.messaging.models import CustomerConsent, Message
from pitstop.plugin_host.context import PluginContext

CONTACT_OUTCOMES = frozenset({"reached", "no_answer", "declined", "callback", "wrong_number"})


async def log_contact(
    ctx: PluginContext,
    customer_id: uuid.UUID,
    *,
    channel: str,
    outcome: str,
    note: str | None = None,
    store_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Log a contact staff made (a call) in the contact log; returns its message id.

    ``outcome`` is one of the contact log's (``reached``, ``no_answer``, ``declined``,
    ``callback``, ``wrong_number``); the staff member is the route's caller."""
    if outcome not in CONTACT_OUTCOMES:
        raise Unprocessable.field("outcome", f"one of {sorted(CONTACT_OUTCOMES)}")
    principal = ctx.principal
    message = await service.log_manual(
        ctx._session,
        customer_id=customer_id,
        channel=channel,
        outcome=outcome,
        note=note,
        staff_id=None if principal is None else principal.actor_id,
        store_id=store_id,
        now=ctx.now(),
    )
    return message.id


async def withdraw_marketing_consent(
    ctx: PluginContext, customer_id: uuid.UUID, *, source: str = "phone"
) -> list[str]:
    """Withdraw the customer's marketing consent on every medium (and the profile's flag);
    returns the media withdrawn. History and audit as ``PUT .../consents`` writes them."""
    customer = await ctx._session.get(Customer, (ctx.tenant_id, customer_id))
    if customer is None:
        raise NotFound("customer not found")
    rows = await ctx._session.scalars(
        select(CustomerConsent).where(
            CustomerConsent.customer_id == customer_id,
            CustomerConsent.purpose == "marketing",
            CustomerConsent.granted.is_(True),
        )
    )
    answers = [
        consents.ConsentAnswer("marketing", r.channel, False, source, r.notice_version)
        for r in rows.all()
    ]
    now = ctx.now()
    principal = ctx.principal
    actor = None if principal is None else principal.actor_id
    changed = await consents.change(ctx._session, customer_id, answers, now=now, actor_id=actor)
    flag = bool(customer.marketing_consent)
    customer.marketing_consent, customer.consent_at, customer.consent_channel = False, None, None
    if changed or flag:
        detail = {
            "changes": [{"purpose": "marketing", "channel": a.channel, "granted": False,
                         "source": source} for a in changed],
            "profile_flag": flag,
            "by_plugin": ctx.plugin,
        }  # fmt: skip
        await audit.record(
            ctx._session,
            "customer.consent_changed",
            resource="customer",
            resource_id=customer_id,
            detail=detail,
            at=now,
        )
    return [a.channel for a in changed]


async def record_reply(ctx: PluginContext, *, medium: str, sender: str, text: str) -> int | None:
    """A customer's reply pushed by a channel's provider (SDK 1.5): an unsubscribe keyword
    (``TD``, ``退订``...) withdraws marketing on ``medium`` for every customer of the tenant
    with the ``sender`` number, as ``POST /api/v1/messages/inbound`` does (source
    ``sms_reply``, history and audit). Returns how many were withdrawn, None when the text
    is no keyword. A number that is not one is a 422 naming ``from``."""
    phone = normalize_phone(sender, field="from")
    if not unsubscribe.is_keyword(text):
        return None
    principal = ctx.principal
    actor = None if principal is None else principal.actor_id
    count = 0
    for customer_id in await unsubscribe.customers_with_phone(ctx._session, phone):
        count += await unsubscribe.withdraw(
            ctx._session, customer_id, medium, source="sms_reply", now=ctx.now(), actor_id=actor
        )
    return count


async def record_delivery(
    ctx: PluginContext,
    message_id: uuid.UUID | None,
    *,
    receipt_id: str,
    delivered: bool,
    reason: str | None = None,
) -> bool:
    """A channel plugin's delivery receipt: a ``sent`` message becomes ``delivered`` or
    ``failed`` (``reason`` the provider's code, e.g. ``MOBILE_NUMBER_ILLEGAL``). Only a
    message sent through this plugin's own channel with this provider receipt id is
    touched (a receipt naming another's message changes nothing); True when it changed.
    ``message_id=None`` (SDK 1.4): the provider's report names its receipt only (Tencent
    Cloud's ``sid``), and the one message of this plugin's channels holding it is meant."""
    own = _own_channels(ctx)
    if message_id is None:
        matches = await ctx._session.scalars(
            select(Message)
            .where(Message.receipt_id == receipt_id, Message.channel.in_(own))
            .limit(2)
        )
        found = matches.all()
        message = found[0] if len(found) == 1 else None
    else:
        message = await ctx._session.get(Message, (ctx.tenant_id, message_id))
    if (
        message is None
        or message.status != "sent"
        or message.receipt_id != receipt_id
        or message.channel not in own
    ):
        return False
    message.status = "delivered" if delivered else "failed"
    if not delivered:
        message.reason = (reason or "undelivered")[:64]
    return True


@dataclass(frozen=True)
class AwaitingReport:
    """A message of the plugin's own channel that went out and has no delivery report yet."""

    message_id: uuid.UUID
    receipt_id: str
    sent_at: dt.datetime
    to: str
    """The address it went to, for the provider's report query alone: never log or keep it."""


async def awaiting_reports(
    ctx: PluginContext, *, since: dt.datetime, limit: int = 100
) -> list[AwaitingReport]:
    """Messages this plugin's channels sent since ``since`` and still ``sent`` - no
    delivery report yet - oldest first, at most ``limit`` (SDK 1.4). For a channel whose
    provider must be asked for reports (Aliyun's ``QuerySendDetails`` needs the number):
    the same addresses the channel was handed at send time, and no others. An erased
    customer's messages are left out."""
    statement = (
        select(Message, Customer.phone)
        .join(Customer, Customer.id == Message.customer_id)
        .where(
            Message.channel.in_(_own_channels(ctx)),
            Message.status == "sent",
            Message.sent_at >= since,
            Message.receipt_id.is_not(None),
            Customer.erased_at.is_(None),
            Customer.phone.is_not(None),
        )
        .order_by(Message.sent_at, Message.id)
        .limit(max(1, min(limit, 500)))
    )
    rows = (await ctx._session.execute(statement)).all()
    return [
        AwaitingReport(m.id, str(m.receipt_id), m.sent_at, str(phone))
        for m, phone in rows
        if m.sent_at is not None
    ]


def _own_channels(ctx: PluginContext) -> set[str]:
    loaded = ctx._host.plugins.get(ctx.plugin)
    return {c.name for c in getattr(loaded, "channels", ())}
