"""Running one plugin's handler for one event, with exactly-once effect.

The handler's writes and the delivery's ``done`` mark commit together, after the delivery
row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so a
redelivered or concurrently delivered message finds ``done`` and does nothing. A failing
handler's writes are rolled back; the failure is recorded in a transaction of its own and
the message is retried with backoff until ``MAX_ATTEMPTS``, then left ``failed`` for
``POST /api/v1/events/deliveries/{id}/retry``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from pitstop.personal_data import redact

HandlerRunner = Callable[[AsyncSession, str, OutboxEvent], Awaitable[bool]]
"""Runs ``plugin``'s handler for an event in the delivery's transaction; False when the
plugin is off for the tenant, uninstalled or not subscribed (the plugin host provides it:
see :func:`pitstop.plugin_host.subscriptions.run_subscription`)."""
MAX_ATTEMPTS = 5
log = structlog.get_logger("pitstop.events")


class DeliveryFailed(RuntimeError):
    """Raised to the broker so that it retries the message with backoff."""


async def _locked(session: AsyncSession, delivery_id: uuid.UUID) -> EventDelivery | None:
    return (
        await session.scalars(
            select(EventDelivery).where(EventDelivery.id == delivery_id).with_for_update()
        )
    ).one_or_none()


async def deliver(
    delivery_id: uuid.UUID, *, sessions: SessionFactory, clock: Clock, run_handler: HandlerRunner
) -> str:
    """Returns what happened: ``done``, ``skipped`` (done before, or the plugin is off),
    ``failed`` (attempts exhausted); raises :class:`DeliveryFailed` to be retried."""
    try:
        async with sessions() as session, session.begin():
            delivery = await _locked(session, delivery_id)
            if delivery is None or delivery.status in (DeliveryStatus.done, DeliveryStatus.failed):
                return "skipped"
            delivery.attempts += 1
            event = await session.get(OutboxEvent, (delivery.tenant_id, delivery.event_id))
            ran = event is not None and await run_handler(session, delivery.plugin, event)
            outcome = "done" if ran else "skipped"
            delivery.status, delivery.done_at = DeliveryStatus.done, clock()
            delivery.last_error = None if outcome == "done" else "skipped: plugin is off"
        return outcome
    except Exception as exc:
        attempts = await _record_failure(sessions, delivery_id, exc)
        if attempts < MAX_ATTEMPTS:
            raise DeliveryFailed(f"delivery {delivery_id} failed (attempt {attempts})") from exc
        log.error("delivery_failed", delivery_id=str(delivery_id), attempts=attempts)
        return "failed"


async def _record_failure(sessions: SessionFactory, delivery_id: uuid.UUID, exc: Exception) -> int:
    async with sessions() as session, session.begin():
        delivery = await _locked(session, delivery_id)
        if delivery is None:
            return MAX_ATTEMPTS
        delivery.attempts += 1
        delivery.last_error = redact(f"{type(exc).__name__}: {exc}")[:500]
        delivery.status = (
            DeliveryStatus.failed if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.retrying
        )
        return delivery.attempts
