"""Service orders: opening, working, completing and refunding a store's job.

Orders are store-owned. A store-scoped principal never learns that another store's order
exists (404, and lists are filtered in SQL). Money is integer fen and every total is
computed from the lines by :mod:`pitstop.crm.pricing` within the tenant's limits; the
client's arithmetic is never trusted. Completing an order records the odometer, computes
when the next service is due, and writes ``service_order.completed`` to the outbox in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.crm import rollups
from pitstop.crm.models import (
    MileageSource,
    OrderStatus,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
)
from pitstop.crm.pricing import OrderLimits, price_lines
from pitstop.crm.schemas import ServiceOrderCreate
from pitstop.crm.vehicles import get_vehicle, owner_for, record_mileage
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.events.outbox import emit
from pitstop.identity.models import Membership
from pitstop.tenancy.models import Store, Tenant
from pitstop.tenancy.periods import add_months, tenant_timezone

DEFAULT_INTERVAL_KM = 5_000
DEFAULT_INTERVAL_MONTHS = 6


async def get_order(
    session: AsyncSession, order_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> ServiceOrder:
    """The order, if it is this tenant's and in one of the principal's stores; else 404.
    ``lock`` holds its row until commit, for changes that reprice it (a redeemed code)."""
    statement = select(ServiceOrder).where(ServiceOrder.id == order_id)
    if lock:
        statement = statement.with_for_update()
    order = (await session.scalars(statement)).one_or_none()
    if order is None or not principal.sees_store(order.store_id):
        raise NotFound("no such service order", code="service_order_not_found")
    return order


async def lines_of(session: AsyncSession, order_id: uuid.UUID) -> list[ServiceOrderLine]:
    statement = (
        select(ServiceOrderLine)
        .where(ServiceOrderLine.order_id == order_id)
        .order_by(ServiceOrderLine.position)
    )
    return list((await session.scalars(statement)).all())


async def _store_for(session: AsyncSession, store_id: uuid.UUID, principal: Principal) -> Store:
    store = (await session.scalars(select(Store).where(Store.id == store_id))).one_or_none()
    if store is None or not principal.sees_store(store.id):
        raise Unprocessable.field("store_id", "no such store", code="unknown_store")
    if not store.active:
        raise Unprocessable.field("store_id", "this store is closed", code="store_closed")
    return store


async def _advisor_for(
    session: AsyncSession, advisor_id: uuid.UUID | None, principal: Principal
) -> uuid.UUID | None:
    if advisor_id is None:
        return principal.actor_id if principal.kind == "user" else None
    found = await session.scalar(select(Membership.id).where(Membership.id == advisor_id))
    if found is None:
        raise Unprocessable.field("advisor_id", "no such staff member", code="unknown_advisor")
    return advisor_id


async def open_order(
    session: AsyncSession, data: ServiceOrderCreate, principal: Principal, now: dt.datetime
) -> tuple[ServiceOrder, list[ServiceOrderLine]]:
    store = await _store_for(session, data.store_id, principal)
    customer = await owner_for(session, data.customer_id, "customer_id")
    vehicle = (
        await session.scalars(select(Vehicle).where(Vehicle.id == data.vehicle_id))
    ).one_or_none()
    if vehicle is None:
        raise Unprocessable.field("vehicle_id", "no such vehicle", code="unknown_vehicle")
    if vehicle.customer_id != customer.id:
        raise Unprocessable.field(
            "vehicle_id", "this vehicle belongs to another customer", code="vehicle_not_owned"
        )
    tenant = await session.get(Tenant, current_tenant_id())
    priced = price_lines(data.lines, OrderLimits.of(tenant.settings if tenant else {}))
    order = ServiceOrder(
        store_id=store.id,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        advisor_id=await _advisor_for(session, data.advisor_id, principal),
        status=OrderStatus.open,
        currency=tenant.currency if tenant else "CNY",
        total=priced.total,
        labor_total=priced.labor,
        parts_total=priced.parts,
        discount_total=priced.discount,
        amounts=priced.by_category,
        opened_at=now,
    )
    session.add(order)
    await session.flush()
    for line in priced.lines:
        line.order_id = order.id
        session.add(line)
    await session.flush()
    return order, priced.lines


def _wrong_status(order: ServiceOrder, action: str) -> Conflict:
    return Conflict(
        f"cannot {action} a service order that is {order.status}",
        code="invalid_status",
        status_now=str(order.status),
    )


def start(order: ServiceOrder, now: dt.datetime) -> None:
    if order.status != OrderStatus.open:
        raise _wrong_status(order, "start")
    order.status, order.started_at = OrderStatus.in_progress, now


def next_service(
    settings: dict[str, object], timezone: str, completed_at: dt.datetime, mileage_km: int
) -> tuple[int, dt.date]:
    """Due at whichever comes first: ``service_interval_km`` or ``service_interval_months``."""
    km = settings.get("service_interval_km", DEFAULT_INTERVAL_KM)
    months = settings.get("service_interval_months", DEFAULT_INTERVAL_MONTHS)
    local_day = completed_at.astimezone(ZoneInfo(timezone)).date()
    return mileage_km + int(km), add_months(local_day, int(months))  # type: ignore[call-overload]


async def complete(
    session: AsyncSession,
    order: ServiceOrder,
    mileage_km: int,
    now: dt.datetime,
    *,
    correction: bool = False,
) -> None:
    if order.status not in (OrderStatus.open, OrderStatus.in_progress):
        raise _wrong_status(order, "complete")
    vehicle = await get_vehicle(session, order.vehicle_id)
    await record_mileage(
        session,
        vehicle,
        mileage_km,
        now,
        correction=correction,
        source=MileageSource.service_order,
        service_order_id=order.id,
    )
    tenant = await session.get(Tenant, current_tenant_id())
    settings = dict(tenant.settings) if tenant else {}
    timezone = tenant.timezone if tenant else "Asia/Shanghai"
    order.next_service_km, order.next_service_date = next_service(
        settings, timezone, now, mileage_km
    )
    order.status, order.completed_at, order.mileage_km = OrderStatus.completed, now, mileage_km
    await session.flush()
    await rollups.visit_recorded(session, order, timezone)
    await emit(session, "service_order.completed", _facts(order), occurred_at=now)


async def refund(session: AsyncSession, order: ServiceOrder, reason: str, now: dt.datetime) -> None:
    if order.status != OrderStatus.completed:
        raise _wrong_status(order, "refund")
    order.status, order.refunded_at, order.refund_reason = OrderStatus.refunded, now, reason
    await rollups.visit_refunded(session, order, await tenant_timezone(session))
    await emit(session, "service_order.refunded", _facts(order), occurred_at=now)


def _facts(order: ServiceOrder) -> dict[str, object]:
    """Ids and figures only: plugins (points, referrals) need nothing personal."""
    return {
        "order_id": str(order.id),
        "store_id": str(order.store_id),
        "customer_id": str(order.customer_id),
        "vehicle_id": str(order.vehicle_id),
        "total": order.total,
        "currency": order.currency,
        "amounts": dict(order.amounts),
        "mileage_km": order.mileage_km,
    }


def list_statement(
    principal: Principal,
    *,
    store_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    vehicle_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    advisor_id: uuid.UUID | None = None,
    completed_from: dt.datetime | None = None,
    completed_before: dt.datetime | None = None,
) -> Select[ServiceOrder]:
    """Filtered in SQL to the principal's stores, never after the fact. The completion
    bounds keep orders completed in ``[completed_from, completed_before)`` (refunded ones
    were completed too: add ``status=completed`` for the orders whose totals are revenue)."""
    statement = select(ServiceOrder)
    if completed_from is not None:
        statement = statement.where(ServiceOrder.completed_at >= completed_from)
    if completed_before is not None:
        statement = statement.where(ServiceOrder.completed_at < completed_before)
    if advisor_id is not None:
        statement = statement.where(ServiceOrder.advisor_id == advisor_id)
    if principal.store_ids is not None:
        statement = statement.where(ServiceOrder.store_id.in_(sorted(principal.store_ids)))
    if store_id is not None:
        statement = statement.where(ServiceOrder.store_id == store_id)
    if customer_id is not None:
        statement = statement.where(ServiceOrder.customer_id == customer_id)
    if vehicle_id is not None:
        statement = statement.where(ServiceOrder.vehicle_id == vehicle_id)
    if status is not None:
        statement = statement.where(ServiceOrder.status == status)
    return statement
