"""Queueing a message under the tenant's rules, and logging manual contacts.

``enqueue`` decides everything that can be decided in the caller's transaction - dedupe,
consent, frequency caps, quiet hours - and writes one row of the contact log, queued or
``suppressed:<reason>``. Nothing personal is read here: the worker reads the address and
renders the body at send time (:mod:`pitstop.messaging.sending`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import NotFound, Unprocessable
from pitstop.messaging import consents, rules, templates, tenant_rules
from pitstop.messaging.models import PURPOSES, Message
from pitstop.tenancy.models import Store

COUNTED = ("queued", "sent", "delivered")
"""Statuses that count towards a cap: what went, or will go."""


@dataclass(frozen=True)
class Request:
    """What a caller asks for; ``data`` holds the template's variables, not personal data."""

    purpose: str
    template: str
    data: dict[str, Any]
    customer_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    store_id: uuid.UUID | None = None
    dedupe_key: str | None = None


async def _existing(session: AsyncSession, dedupe_key: str | None) -> Message | None:
    if dedupe_key is None:
        return None
    statement = select(Message).where(Message.dedupe_key == dedupe_key)
    return (await session.scalars(statement)).one_or_none()


async def _recent(session: AsyncSession, request: Request, cap: rules.Cap, now: dt.datetime) -> int:
    statement = select(func.count(Message.id)).where(
        Message.customer_id == request.customer_id,
        Message.purpose == request.purpose,
        Message.status.in_(COUNTED),
        Message.created_at > now - cap.within,
    )
    if cap.per_template:
        statement = statement.where(Message.template == request.template)
    return int(await session.scalar(statement) or 0)


async def _suppression(
    session: AsyncSession,
    request: Request,
    reaches: str,
    now: dt.datetime,
    caps: Mapping[str, rules.Cap],
) -> str | None:
    """Why the message must not go at all, or None."""
    if request.customer_id is None:
        return None
    if not await consents.allows(session, request.customer_id, request.purpose, reaches):
        return "no_consent"
    cap = caps.get(request.purpose)
    if cap is not None and rules.cap_exceeded(cap, await _recent(session, request, cap, now)):
        return "frequency_cap"
    return None


async def _check_refs(
    session: AsyncSession, customer_id: uuid.UUID | None, store_id: uuid.UUID | None
) -> None:
    """Another tenant's (or no) customer or store is a 404, never a foreign-key 500."""
    tenant = current_tenant_id()
    if customer_id is not None and await session.get(Customer, (tenant, customer_id)) is None:
        raise NotFound("customer not found")
    if store_id is not None and await session.get(Store, (tenant, store_id)) is None:
        raise NotFound("store not found")


def _check(request: Request) -> None:
    if request.purpose not in PURPOSES:
        raise Unprocessable.field("purpose", f"one of {list(PURPOSES)}")
    if (request.customer_id is None) == (request.staff_id is None):
        raise Unprocessable.field("customer_id", "exactly one of customer_id and staff_id")


async def enqueue(
    session: AsyncSession,
    request: Request,
    *,
    channel: str,
    reaches: str,
    now: dt.datetime,
    timezone: str,
) -> tuple[Message, bool]:
    """The log row for this request, and whether the worker must be told to send it.

    A repeated ``dedupe_key`` returns the first row (nothing new is sent)."""
    _check(request)
    existing = await _existing(session, request.dedupe_key)
    if existing is not None:
        return existing, False
    await templates.find(session, request.template, channel)  # an unknown template is 404
    await _check_refs(session, request.customer_id, request.store_id)
    chosen = await tenant_rules.for_tenant(session)
    reason = await _suppression(session, request, reaches, now, chosen.caps)
    send_after = None
    if reason is None and request.purpose != "transactional":
        send_after = rules.quiet_until(
            now, timezone, start=chosen.quiet_start, end=chosen.quiet_end
        )
    message = Message(
        customer_id=request.customer_id,
        staff_id=request.staff_id,
        store_id=request.store_id,
        purpose=request.purpose,
        channel=channel,
        template=request.template,
        data=dict(request.data),
        dedupe_key=request.dedupe_key,
        status="suppressed" if reason else "queued",
        reason=reason,
        created_at=now,
        send_after=send_after,
    )
    session.add(message)
    await session.flush()
    return message, reason is None


async def log_manual(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    channel: str,
    outcome: str,
    note: str | None,
    staff_id: uuid.UUID | None,
    store_id: uuid.UUID | None,
    now: dt.datetime,
) -> Message:
    """A contact staff made themselves (a phone call): logged, nothing sent."""
    await _check_refs(session, customer_id, store_id)
    message = Message(
        customer_id=customer_id,
        staff_id=staff_id,
        store_id=store_id,
        purpose="service",
        channel=channel,
        manual=True,
        outcome=outcome,
        note=note,
        status="sent",
        created_at=now,
        sent_at=now,
    )
    session.add(message)
    await session.flush()
    return message


LAST_CONTACTS = 5


async def last_contacts(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The 360° view's latest contacts, newest first: what, by which medium, how it went -
    no note (free text is the contact log's, masked there), no address, no body."""
    rows = await session.scalars(
        select(Message)
        .where(Message.customer_id == customer_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(LAST_CONTACTS)
    )
    return [
        {
            "at": (m.sent_at or m.created_at).isoformat(),
            "channel": m.channel,
            "purpose": m.purpose,
            "template": m.template,
            "status": f"{m.status}:{m.reason}" if m.status == "suppressed" else m.status,
            "manual": m.manual,
            "outcome": m.outcome,
        }
        for m in rows.all()
    ]
