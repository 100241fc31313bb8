"""The relay: turn a committed outbox row into one delivery per subscribed, enabled plugin.

It runs on a worker, in the event's tenant. Creating the delivery rows and marking the
event published happen in one transaction, and the delivery messages are sent only after
it commits. The sweep (scheduler) re-sends what a broker outage or a crash left behind:
events never published, and deliveries that nobody has attempted for a while.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.base import Clock
from pitstop.db.discovery import STALE_DELIVERIES, UNPUBLISHED_EVENTS, discover
from pitstop.db.engine import SessionFactory
from pitstop.db.on_commit import on_commit
from pitstop.events.models import DeliveryStatus, EventDelivery, OutboxEvent


class Subscribers(Protocol):
    """What the relay needs of the plugin host, which sits above the events it relays."""

    def subscribers(self, event_type: str) -> list[str]: ...

    async def enabled(self, session: AsyncSession) -> Mapping[str, object]: ...


@runtime_checkable
class Sender(Protocol):
    """What the relay needs of the broker: the messages it sends (by actor name).
    Runtime-checkable because the API injects it into a handler by this type."""

    def publish(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> None: ...

    def deliver(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> None: ...


SWEEP_AFTER = dt.timedelta(seconds=5)
"""An event still unpublished this long after it happened was missed by its nudge."""
STALE_DELIVERY = dt.timedelta(seconds=60)
STALE_RETRY = dt.timedelta(minutes=15)
"""Longer than the largest retry backoff: a retrying delivery this quiet lost its message."""
SWEEP_BATCH = 1000


async def publish_event(
    event_id: uuid.UUID,
    *,
    sessions: SessionFactory,
    plugins: Subscribers,
    clock: Clock,
    dispatch: Sender,
) -> int:
    """Create the event's deliveries (once) and enqueue them; returns how many were new.

    Two publishers of one event (a nudge and a sweep) serialise on the row lock on
    PostgreSQL; on SQLite the loser meets the unique key and leaves it to the winner.
    """
    try:
        return await _publish(event_id, sessions, plugins, clock, dispatch)
    except IntegrityError:
        return 0


async def _publish(
    event_id: uuid.UUID, sessions: SessionFactory, plugins: Subscribers, clock: Clock, send: Sender
) -> int:
    async with sessions() as session, session.begin():
        event = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update()
            )
        ).one_or_none()
        if event is None or event.published_at is not None:
            return 0
        # Deliveries and ``published_at`` commit together: an unpublished event has none.
        subscribers = plugins.subscribers(event.type)
        enabled = await plugins.enabled(session) if subscribers else {}
        created = [
            EventDelivery(event_id=event.id, plugin=plugin)
            for plugin in subscribers
            if plugin in enabled
        ]
        session.add_all(created)
        event.published_at = clock()
        await session.flush()
        for delivery in created:
            on_commit(session, _sender(send, delivery))
    return len(created)


def _sender(send: Sender, delivery: EventDelivery) -> Callable[[], None]:
    tenant_id, delivery_id = delivery.tenant_id, delivery.id
    return lambda: send.deliver(tenant_id, delivery_id)


async def sweep(*, sessions: SessionFactory, clock: Clock, dispatch: Sender) -> tuple[int, int]:
    """Re-send what was left behind, across tenants; returns (events, deliveries) re-sent."""
    now = clock()
    async with sessions() as session, session.begin():
        events = await discover(
            session,
            UNPUBLISHED_EVENTS,
            {"occurred_before": now - SWEEP_AFTER, "batch": SWEEP_BATCH},
            fallback=select(OutboxEvent.tenant_id, OutboxEvent.id)
            .where(
                OutboxEvent.published_at.is_(None),
                OutboxEvent.occurred_at < now - SWEEP_AFTER,
            )
            .order_by(OutboxEvent.occurred_at)
            .limit(SWEEP_BATCH),
            reason="outbox relay sweep",
        )
        deliveries = await discover(
            session,
            STALE_DELIVERIES,
            {
                "pending_before": now - STALE_DELIVERY,
                "retrying_before": now - STALE_RETRY,
                "batch": SWEEP_BATCH,
            },
            fallback=select(EventDelivery.tenant_id, EventDelivery.id)
            .where(
                or_(
                    (EventDelivery.status == DeliveryStatus.pending)
                    & (EventDelivery.updated_at < now - STALE_DELIVERY),
                    (EventDelivery.status == DeliveryStatus.retrying)
                    & (EventDelivery.updated_at < now - STALE_RETRY),
                )
            )
            .limit(SWEEP_BATCH),
            reason="outbox relay sweep",
        )
    for tenant_id, event_id in events:
        dispatch.publish(tenant_id, event_id)
    for tenant_id, delivery_id in deliveries:
        dispatch.deliver(tenant_id, delivery_id)
    return len(events), len(deliveries)
