"""HTTP API of event delivery: see failing deliveries and send them again."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.db.on_commit import on_commit
from pitstop.errors import Conflict, NotFound
from pitstop.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from pitstop.events.relay import Sender
from pitstop.pagination import Limit, Page, keyset, page_of


class DeliveryOut(msgspec.Struct):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    plugin: str
    status: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    done_at: dt.datetime | None


def delivery_out(d: EventDelivery, event_type: str) -> DeliveryOut:
    return DeliveryOut(
        d.id,
        d.event_id,
        event_type,
        d.plugin,
        d.status,
        d.attempts,
        d.last_error,
        d.created_at,
        d.updated_at,
        d.done_at,
    )


class DeliveriesController(Controller):
    path = "/events/deliveries"
    tags = ["events"]
    opt = {"permission": "events:manage"}

    @get("/")
    async def list_deliveries(
        self,
        session: NamedDependency[AsyncSession],
        status: FromQuery[DeliveryStatus | None] = None,
        plugin: FromQuery[str | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[DeliveryOut]:
        statement = select(EventDelivery, OutboxEvent.type).join(
            OutboxEvent,
            (OutboxEvent.tenant_id == EventDelivery.tenant_id)
            & (OutboxEvent.id == EventDelivery.event_id),
        )
        if status is not None:
            statement = statement.where(EventDelivery.status == status)
        if plugin is not None:
            statement = statement.where(EventDelivery.plugin == plugin)
        rows = (await session.execute(keyset(statement, EventDelivery.id, after, limit))).all()
        return page_of(rows, limit, [delivery_out(d, t) for d, t in rows], lambda r: r[0].id)

    @post("/{delivery_id:uuid}/retry", status_code=202)
    async def retry(
        self,
        delivery_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        dispatch: NamedDependency[Sender],
    ) -> DeliveryOut:
        row = (
            await session.execute(
                select(EventDelivery, OutboxEvent.type)
                .join(
                    OutboxEvent,
                    (OutboxEvent.tenant_id == EventDelivery.tenant_id)
                    & (OutboxEvent.id == EventDelivery.event_id),
                )
                .where(EventDelivery.id == delivery_id)
            )
        ).one_or_none()
        if row is None:
            raise NotFound("no such delivery")
        delivery, event_type = row
        if delivery.status == DeliveryStatus.done:
            raise Conflict("this delivery is done; it has had its effect", code="delivery_done")
        was = delivery.status
        delivery.status, delivery.attempts = DeliveryStatus.pending, 0
        await session.flush()
        await record(
            session,
            "event_delivery.retried",
            resource="event_delivery",
            resource_id=delivery.id,
            detail={"plugin": delivery.plugin, "event_type": event_type, "was": was.value},
        )
        tenant_id = delivery.tenant_id
        on_commit(session, lambda: dispatch.deliver(tenant_id, delivery_id))
        return delivery_out(delivery, event_type)
