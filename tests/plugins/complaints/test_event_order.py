"""A timer's batch writes its events after its last complaint, a wave of one type at a time
(``pitstop_complaints.firing``): each complaint's events still reach the outbox in the order
that complaint fired them, as the relay reads it (occurred_at, then id)."""

from __future__ import annotations

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import OutboxEvent
from tests.plugins.complaints.conftest import Desk

FIRED = ("complaint.breached", "complaint.escalated")


async def test_each_complaints_events_keep_the_order_it_fired_them_in(desk: Desk) -> None:
    # Given five grade-A complaints past their response deadline
    ids = [(await desk.log("A"))["id"] for _ in range(5)]
    desk.advance(minutes=11)
    # When one timer fires them all: each breaches, then escalates to level 1
    await desk.check(ids[0])
    # Then, read as the relay reads the outbox, each complaint's breach comes before its
    # escalation
    statement = (
        select(OutboxEvent.type, OutboxEvent.payload)
        .where(OutboxEvent.type.in_(FIRED))
        .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
    )
    async with desk.runtime.sessions() as session:
        with tenant_scope(desk.crm.tenant_id):
            rows = (await session.execute(statement)).all()
    for complaint_id in ids:
        assert [t for t, p in rows if p["complaint_id"] == complaint_id] == list(FIRED)
