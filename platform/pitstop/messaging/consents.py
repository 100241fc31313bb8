"""Consent per customer, per purpose and per medium, with its history.

Unknown is not yes: marketing goes only where the customer opted in; service
communication goes unless the customer withdrew it for that medium (it is part of the
service contract, PIPL art. 13(2)); transactional messages answer the customer's own
request. Withdrawal is one PUT, exactly as easy as consent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.messaging.models import ConsentChange, CustomerConsent


@dataclass(frozen=True)
class ConsentAnswer:
    purpose: str
    channel: str
    granted: bool
    source: str
    notice_version: str


async def current(session: AsyncSession, customer_id: uuid.UUID) -> list[CustomerConsent]:
    rows = await session.scalars(
        select(CustomerConsent)
        .where(CustomerConsent.customer_id == customer_id)
        .order_by(CustomerConsent.purpose, CustomerConsent.channel)
    )
    return list(rows.all())


async def history(session: AsyncSession, customer_id: uuid.UUID) -> list[ConsentChange]:
    rows = await session.scalars(
        select(ConsentChange)
        .where(ConsentChange.customer_id == customer_id)
        .order_by(ConsentChange.changed_at, ConsentChange.id)
    )
    return list(rows.all())


async def change(
    session: AsyncSession,
    customer_id: uuid.UUID,
    answers: list[ConsentAnswer],
    *,
    now: dt.datetime,
    actor_id: uuid.UUID | None,
) -> list[ConsentAnswer]:
    """Apply the answers; returns those that changed something (history grows only then)."""
    rows = {(r.purpose, r.channel): r for r in await current(session, customer_id)}
    changed: list[ConsentAnswer] = []
    for answer in answers:
        row = rows.get((answer.purpose, answer.channel))
        if row is not None and row.granted == answer.granted:
            continue
        if row is None:
            row = CustomerConsent(
                customer_id=customer_id, purpose=answer.purpose, channel=answer.channel
            )
            session.add(row)
            rows[(answer.purpose, answer.channel)] = row
        row.granted, row.source = answer.granted, answer.source
        row.notice_version, row.changed_at = answer.notice_version, now
        session.add(
            ConsentChange(
                customer_id=customer_id,
                purpose=answer.purpose,
                channel=answer.channel,
                granted=answer.granted,
                source=answer.source,
                notice_version=answer.notice_version,
                changed_at=now,
                changed_by=actor_id,
            )
        )
        changed.append(answer)
    await session.flush()
    return changed


async def allows(session: AsyncSession, customer_id: uuid.UUID, purpose: str, channel: str) -> bool:
    if purpose == "transactional":
        return True
    row = (
        await session.scalars(
            select(CustomerConsent).where(
                CustomerConsent.customer_id == customer_id,
                CustomerConsent.purpose == purpose,
                CustomerConsent.channel == channel,
            )
        )
    ).one_or_none()
    if purpose == "marketing":
        return row is not None and row.granted
    return row is None or row.granted
