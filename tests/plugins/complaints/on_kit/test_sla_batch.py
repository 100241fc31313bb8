"""A timer fires every complaint of its tenant that is due, in one transaction, once each;
the timers it made redundant stop at their read, and checks side by side fire nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import Engine, event, select

from pitstop_complaints.models import ComplaintNotification
from pitstop_complaints.sla import sla_check, sla_due
from tests.plugins.complaints.conftest import Desk, staff_of

COMPLAINTS = 5


async def fired(desk: Desk, type: str) -> Counter[str]:
    """How many events of ``type`` each complaint has."""
    return Counter(e["complaint_id"] for e in await desk.events(type))


async def test_one_timer_fires_every_due_complaint_once(desk: Desk) -> None:
    # Given five grade-A complaints (respond in 10m; level 1 at the breach)
    ids = [(await desk.log("A"))["id"] for _ in range(COMPLAINTS)]
    # When the deadline has passed and the first complaint's timer runs
    desk.advance(minutes=11)
    await desk.check(ids[0])
    # Then all five are breached and escalated to level 1, once each
    assert await fired(desk, "complaint.breached") == Counter(dict.fromkeys(ids, 1))
    assert await fired(desk, "complaint.escalated") == Counter(dict.fromkeys(ids, 1))
    assert [(await desk.get(cid))["escalation_level"] for cid in ids] == [1] * COMPLAINTS
    # And the other complaints' timers find nothing due at their read (no write lock)
    async with desk.context() as ctx:
        assert not [cid for cid in ids if await sla_due(ctx, complaint_id=cid)]
    # When every queued timer is delivered as the worker would (read first, then the batch)
    await desk.app.drain()  # type: ignore[attr-defined]
    # Then nothing fires a second time
    assert await fired(desk, "complaint.breached") == Counter(dict.fromkeys(ids, 1))
    assert await fired(desk, "complaint.escalated") == Counter(dict.fromkeys(ids, 1))


async def test_checks_side_by_side_fire_each_complaint_once(desk: Desk) -> None:
    # Given five complaints past their deadline
    ids = [(await desk.log("A"))["id"] for _ in range(COMPLAINTS)]
    desk.advance(minutes=11)

    async def check(complaint_id: str) -> None:
        async with desk.context() as ctx:
            await sla_check(ctx, complaint_id=complaint_id)

    # When three timers run at the same time, each in its own transaction
    # (PostgreSQL: side by side, rows taken with SKIP LOCKED; SQLite: one writer at a time)
    await asyncio.gather(*(check(cid) for cid in ids[:3]))
    # Then each complaint breached once, escalated once, and was warned of nothing late
    assert await fired(desk, "complaint.breached") == Counter(dict.fromkeys(ids, 1))
    assert await fired(desk, "complaint.escalated") == Counter(dict.fromkeys(ids, 1))
    assert await fired(desk, "complaint.warning") == Counter()


async def test_a_batch_notifies_each_person_once_per_reason(desk: Desk) -> None:
    # Given three grade-A complaints at one store, the first one's manager already told of
    # its level-1 escalation (as a notice recorded before the batch)
    ids = [(await desk.log("A"))["id"] for _ in range(3)]
    managers = await staff_of(desk, "store_manager")
    async with desk.context() as ctx:
        ctx.session.add(
            ComplaintNotification(
                complaint_id=uuid.UUID(ids[0]),
                recipient_id=uuid.UUID(managers[0]),
                reason="escalated.1",
                critical=True,
                created_at=ctx.now(),
                deliver_at=ctx.now(),
            )
        )
    # When the deadline has passed and one timer fires the three in one transaction
    desk.advance(minutes=11)
    await desk.check(ids[1])
    # Then every complaint's breach went to its assignee and its escalation to the assignee
    # and the store's managers, one notice per person and reason, the recorded one kept
    for cid in ids:
        assignee = (await desk.get(cid))["assignee_id"]
        rows = await notices(desk, cid)
        assert rows.count(("response.breached", assignee)) == 1
        for person in {assignee, *managers}:
            assert rows.count(("escalated.1", person)) == 1
        assert len(rows) == len(set(rows))


async def notices(desk: Desk, complaint_id: str) -> list[tuple[str, str]]:
    async with desk.context() as ctx:
        rows = await ctx.session.execute(
            select(ComplaintNotification.reason, ComplaintNotification.recipient_id).where(
                ComplaintNotification.complaint_id == uuid.UUID(complaint_id)
            )
        )
        return [(reason, str(recipient)) for reason, recipient in rows.all()]


async def test_a_batch_costs_a_few_statements_a_complaint_not_a_dozen(desk: Desk) -> None:
    # Given ten grade-A complaints past their deadline
    ids = [(await desk.log("A"))["id"] for _ in range(10)]
    desk.advance(minutes=11)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    # When one timer fires all ten (breach, escalation, notifications, events)
    async with desk.context() as ctx:
        event.listen(Engine, "before_cursor_execute", count)
        try:
            await sla_check(ctx, complaint_id=ids[0])
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    # Then it took a fixed few statements (each kind of event one outbox write for all ten),
    # not the thirteen a complaint it took with a read and a flush per firing
    assert len(statements) <= 12 + len(ids)
    assert await fired(desk, "complaint.escalated") == Counter(dict.fromkeys(ids, 1))
