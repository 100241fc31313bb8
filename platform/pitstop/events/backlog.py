"""The worker's fast path: a tenant's backlog relayed and delivered in one transaction.

The classic path spends two broker messages and two transactions per event: the relay
(:mod:`pitstop.events.relay`) creates the deliveries, then a message per delivery runs its
handler (:mod:`pitstop.events.delivery`). Here an event's nudge claims up to ``BATCH`` of
its tenant's unpublished events (its own first, skipping rows another worker holds), marks
them published, runs the handler of every enabled subscriber and writes each delivery row
already ``done`` — one transaction, one message. Exactly-once holds as on the classic path:
the effects, the done-marks and ``published_at`` commit together or not at all, and an
event published once is never claimed again.

When anything in it fails (a handler raises, a deadlock between two batches, the commit),
the whole transaction rolls back and the same events take the classic path, which gives
each delivery a transaction and retries of its own: one delivery's failure neither loses
nor repeats its neighbours' effects, since none of them committed.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from pitstop.events.relay import Sender, Subscribers, publish_event

BATCH = 20
"""Events per transaction: enough to spread a transaction's fixed round trips over a
backlog, few enough that a batch's handlers finish well inside a message's time limit."""
REMEMBERED = 20_000
log = structlog.get_logger("pitstop.events")

RunEnabled = Callable[[AsyncSession, str, object, OutboxEvent], Awaitable[bool]]
"""Runs ``plugin``'s handler for an event in the batch's transaction, given the tenant's
enabled row for it; False when it did not run (see
:func:`pitstop.plugin_host.subscriptions.run_enabled`)."""


class Published:
    """Ids of events this process has published, most recent last (bounded).

    A nudge for one of them has nothing left to do: a batch published it together with
    its neighbours, and ``published_at`` is never unset. Kept only after the commit, so
    the answer "published" is never wrong; an event published elsewhere is simply asked of
    the database.
    """

    def __init__(self, size: int = REMEMBERED) -> None:
        self.size, self._ids = size, OrderedDict[uuid.UUID, None]()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_ids: Sequence[uuid.UUID]) -> None:
        for event_id in event_ids:
            self._ids[event_id] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)


async def _claim(
    session: AsyncSession, event_id: uuid.UUID, now: object, batch: int
) -> list[OutboxEvent]:
    """Mark up to ``batch`` unpublished events published, ``event_id`` first, and return
    them in the order they happened. ``SKIP LOCKED``: two workers claim disjoint batches."""
    backlog = (
        select(OutboxEvent.id)
        .where(OutboxEvent.published_at.is_(None))
        .order_by((OutboxEvent.id == event_id).desc(), OutboxEvent.occurred_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(backlog.scalar_subquery()))
        .values(published_at=now)
        .returning(OutboxEvent),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed.all(), key=lambda e: (e.occurred_at, e.id))


async def _run_batch(
    session: AsyncSession,
    events: list[OutboxEvent],
    plugins: Subscribers,
    clock: Clock,
    run_handler: RunEnabled,
) -> int:
    enabled = await plugins.enabled(session)
    done = []
    for event in events:
        for plugin in plugins.subscribers(event.type):
            row = enabled.get(plugin)
            if row is None:
                continue
            ran = await run_handler(session, plugin, row, event)
            done.append(
                EventDelivery(
                    event_id=event.id,
                    plugin=plugin,
                    status=DeliveryStatus.done,
                    attempts=1,
                    done_at=clock(),
                    last_error=None if ran else "skipped: plugin is off",
                )
            )
    session.add_all(done)
    return len(done)


async def relay_backlog(
    event_id: uuid.UUID,
    *,
    sessions: SessionFactory,
    plugins: Subscribers,
    clock: Clock,
    dispatch: Sender,
    run_handler: RunEnabled,
    published: Published | None = None,
    batch: int = BATCH,
) -> int:
    """Relay and deliver the tenant's backlog from ``event_id``; returns the deliveries
    done here (0 when there was nothing left, or when the batch fell back)."""
    if published is not None and event_id in published:
        return 0
    claimed: list[uuid.UUID] = []
    try:
        async with sessions() as session, session.begin():
            events = await _claim(session, event_id, clock(), batch)
            claimed = [event.id for event in events]
            done = await _run_batch(session, events, plugins, clock, run_handler)
    except Exception as exc:
        log.warning("backlog_fell_back", events=len(claimed), error=type(exc).__name__)
        for each in claimed or [event_id]:
            await publish_event(
                each, sessions=sessions, plugins=plugins, clock=clock, dispatch=dispatch
            )
        return 0
    if published is not None:
        published.add(claimed)
    return done
