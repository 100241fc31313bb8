"""Read-only views of service orders for plugins (re-exported by :mod:`pitstop.sdk`).

Split from :mod:`pitstop.sdk_views` for size: the orders are what most plugins read - a
visit, its amounts, a vehicle's history, the period's figures - and have the most readers.
Every read goes through the context's tenant-scoped session, as there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select

from pitstop.crm.models import OrderStatus, ServiceOrder
from pitstop.insights import figures
from pitstop.insights.kpis import average
from pitstop.insights.schemas import OrderFigures
from pitstop.plugin_host.context import PluginContext
from pitstop.sdk_views import ID_CHUNK, AnyRow
from pitstop.tenancy.periods import Period

# What the batch readers select: bare columns (see pitstop.sdk_views).
# fmt: off
_ORDER = (ServiceOrder.id, ServiceOrder.store_id, ServiceOrder.customer_id,
          ServiceOrder.vehicle_id, ServiceOrder.status, ServiceOrder.total,
          ServiceOrder.completed_at, ServiceOrder.amounts, ServiceOrder.mileage_km,
          ServiceOrder.advisor_id)
# fmt: on


@dataclass(frozen=True)
class ServiceOrderView:
    id: uuid.UUID
    store_id: uuid.UUID
    customer_id: uuid.UUID
    vehicle_id: uuid.UUID
    status: str
    total: int
    completed_at: dt.datetime | None
    amounts: Mapping[str, int] = field(default_factory=dict)
    """Per line category, in fen, net of that category's discounts (they add up to
    ``total``): the same split ``service_order.completed`` carries."""
    mileage_km: int | None = None
    """SDK 1.2: the odometer reading taken when the order was completed."""
    advisor_id: uuid.UUID | None = None
    """SDK 1.3: the staff member (membership id) the order was written by."""


async def vehicle_service_orders(
    ctx: PluginContext, vehicle_id: uuid.UUID
) -> list[ServiceOrderView]:
    """The vehicle's completed (not refunded) orders, oldest completion first (SDK 1.2):
    its service history, for judging whether maintenance was done on time."""
    statement = (
        select(ServiceOrder)
        .where(
            ServiceOrder.vehicle_id == vehicle_id,
            ServiceOrder.status == OrderStatus.completed,
        )
        .order_by(ServiceOrder.completed_at, ServiceOrder.id)
    )
    return [order_view(row) for row in (await ctx.session.scalars(statement)).all()]


async def service_orders_of(
    ctx: PluginContext, vehicle_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[ServiceOrderView]]:
    """The completed (not refunded) orders of many vehicles, oldest completion first, in a
    few queries (SDK 1.3): :func:`vehicle_service_orders` for a batch of the fleet."""
    wanted = sorted(set(vehicle_ids))
    found: dict[uuid.UUID, list[ServiceOrderView]] = {v: [] for v in wanted}
    for i in range(0, len(wanted), ID_CHUNK):
        statement = (
            select(*_ORDER)
            .where(
                ServiceOrder.vehicle_id.in_(wanted[i : i + ID_CHUNK]),
                ServiceOrder.status == OrderStatus.completed,
            )
            .order_by(ServiceOrder.completed_at, ServiceOrder.id)
        )
        for row in (await ctx.session.execute(statement)).all():
            found[row.vehicle_id].append(order_view(row))
    return found


async def open_service_orders_of(
    ctx: PluginContext, vehicle_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[ServiceOrderView]]:
    """The orders still open or in progress of many vehicles, only the vehicles that have
    one, in a few queries (SDK 1.3): a booked car is expected, so a service-due reminder
    waits, and the customer is not asked to book what they have booked."""
    wanted = sorted(set(vehicle_ids))
    found: dict[uuid.UUID, list[ServiceOrderView]] = {}
    for i in range(0, len(wanted), ID_CHUNK):
        statement = (
            select(*_ORDER)
            .where(
                ServiceOrder.vehicle_id.in_(wanted[i : i + ID_CHUNK]),
                ServiceOrder.status.in_((OrderStatus.open, OrderStatus.in_progress)),
            )
            .order_by(ServiceOrder.opened_at, ServiceOrder.id)
        )
        for row in (await ctx.session.execute(statement)).all():
            found.setdefault(row.vehicle_id, []).append(order_view(row))
    return found


def order_view(row: ServiceOrder | AnyRow) -> ServiceOrderView:
    return ServiceOrderView(
        row.id,
        row.store_id,
        row.customer_id,
        row.vehicle_id,
        str(row.status),
        row.total,
        row.completed_at,
        {str(k): int(v) for k, v in (row.amounts or {}).items()},
        row.mileage_km,
        row.advisor_id,
    )


async def get_service_order(ctx: PluginContext, order_id: uuid.UUID) -> ServiceOrderView | None:
    row = await ctx.session.get(ServiceOrder, (ctx.tenant_id, order_id))
    return None if row is None else order_view(row)


async def completed_service_orders(
    ctx: PluginContext, *, since: dt.datetime, until: dt.datetime, batch: int = 500
) -> AsyncIterator[ServiceOrderView]:
    """Orders completed in ``[since, until)`` and still completed (a refunded order is not),
    oldest completion first (ties by id), read in keyset batches so memory stays flat.

    For plugins that count history - a points backfill - in the order it happened.
    """
    after: tuple[dt.datetime, uuid.UUID] | None = None
    while True:
        statement = (
            select(ServiceOrder)
            .where(
                ServiceOrder.status == OrderStatus.completed,
                ServiceOrder.completed_at >= since,
                ServiceOrder.completed_at < until,
            )
            .order_by(ServiceOrder.completed_at, ServiceOrder.id)
            .limit(batch)
        )
        if after is not None:
            statement = statement.where(
                or_(
                    ServiceOrder.completed_at > after[0],
                    and_(ServiceOrder.completed_at == after[0], ServiceOrder.id > after[1]),
                )
            )
        rows = (await ctx.session.scalars(statement)).all()
        for row in rows:
            yield order_view(row)
        if len(rows) < batch:
            return
        last = rows[-1]
        after = (last.completed_at or since, last.id)


async def order_figures(
    ctx: PluginContext,
    period: Period,
    *,
    store_id: uuid.UUID | None = None,
    customers: Any = None,
    exclude: bool = False,
) -> OrderFigures:
    """Orders, revenue and average ticket of the period's completed orders, computed in SQL,
    in the caller's store scope (and ``store_id``'s, when given), optionally only for the
    customers a plugin's ``select(MyTable.customer_id)`` names - or, with ``exclude``, for
    everyone else: members against non-members without reading a row into Python."""
    principal = ctx.principal
    scope: list[uuid.UUID] | None = None if store_id is None else [store_id]
    if principal is not None and principal.store_ids is not None:
        scope = sorted(principal.store_ids & set(scope or principal.store_ids))
    orders, revenue = await figures.order_totals(
        ctx.session,  # type: ignore[arg-type]
        period,
        scope,
        customers,
        exclude=exclude,
    )
    return OrderFigures(orders=orders, revenue=revenue, average_ticket=average(revenue, orders))
