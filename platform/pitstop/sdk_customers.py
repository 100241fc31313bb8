"""What the shop knows about customers as customers won, for plugins judging how they
came (SDK 1.3, re-exported by :mod:`pitstop.sdk`).

A referral programme must know whether two records are one household and whether a
"new" customer is new, without reading anyone's phone or address: these functions
compare inside the core and answer with names of what matched. Reads go through the
context's tenant-scoped session, so another tenant's id simply matches nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, func, select

from pitstop.crm.internal import internal_customer_id
from pitstop.crm.models import Customer, OrderStatus, ServiceOrder, Vehicle, VehicleOwnership
from pitstop.plugin_host.context import PluginContext


def _same(a: str | None, b: str | None) -> bool:
    """Equal once case and every space are ignored; an empty value matches nothing."""
    if not a or not b:
        return False
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


async def _vehicles_of(ctx: PluginContext, customer_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(Vehicle.id).where(Vehicle.customer_id == customer_id)
    return list((await ctx.session.scalars(statement)).all())


async def customer_overlap(
    ctx: PluginContext, customer_id: uuid.UUID, other_id: uuid.UUID
) -> frozenset[str]:
    """What two customers of the tenant share, named and never shown (SDK 1.3):
    ``id_number``, ``address`` (equal ignoring case and spaces), ``vehicle_owned`` (a car
    ``customer_id`` holds was once owned by ``other_id``) and ``vehicle_serviced`` (one was
    serviced on an order of ``other_id``); since SDK 1.4 also ``email`` (equal ignoring
    case and spaces) and ``vehicle_passed_on`` (a car ``other_id`` holds was once owned by
    ``customer_id``: the car went the other way). For fraud checks such as a self-referral
    under a second record, which must not hand the plugin anyone's phone or address. Phones
    are not compared: the core stores them in E.164 under a per-tenant unique key, so two
    customers never share one."""
    rows = await _rows(ctx, customer_id, other_id)
    if rows is None:
        return frozenset()
    mine, theirs = rows
    fields = ("id_number", "address", "email")
    shared = {f for f in fields if _same(getattr(mine, f), getattr(theirs, f))}
    if await _once_owned(ctx, await _vehicles_of(ctx, other_id), customer_id):
        shared.add("vehicle_passed_on")
    vehicles = await _vehicles_of(ctx, customer_id)
    if vehicles:
        if await _once_owned(ctx, vehicles, other_id):
            shared.add("vehicle_owned")
        serviced = select(ServiceOrder.id).where(
            ServiceOrder.vehicle_id.in_(vehicles), ServiceOrder.customer_id == other_id
        )
        if (await ctx.session.scalars(serviced.limit(1))).first() is not None:
            shared.add("vehicle_serviced")
    return frozenset(shared)


async def _once_owned(
    ctx: PluginContext, vehicles: list[uuid.UUID], customer_id: uuid.UUID
) -> bool:
    """One of ``vehicles`` has ``customer_id`` in its ownership history."""
    if not vehicles:
        return False
    owned = select(VehicleOwnership.id).where(
        VehicleOwnership.vehicle_id.in_(vehicles), VehicleOwnership.customer_id == customer_id
    )
    return (await ctx.session.scalars(owned.limit(1))).first() is not None


async def _rows(
    ctx: PluginContext, customer_id: uuid.UUID, other_id: uuid.UUID
) -> tuple[Customer, Customer] | None:
    mine = await ctx.session.get(Customer, (ctx.tenant_id, customer_id))
    theirs = await ctx.session.get(Customer, (ctx.tenant_id, other_id))
    return None if mine is None or theirs is None else (mine, theirs)


async def customer_history(ctx: PluginContext, customer_id: uuid.UUID) -> frozenset[str]:
    """What the shop knew of a customer before this record (SDK 1.3): ``completed_order``
    (they have a completed or refunded order) and ``vehicle_seen`` (a car they hold was
    owned by, or serviced for, another customer). Empty for a new customer - and for
    another tenant's id, which is not this tenant's customer at all."""
    seen: set[str] = set()
    done = select(ServiceOrder.id).where(
        ServiceOrder.customer_id == customer_id,
        ServiceOrder.status.in_((OrderStatus.completed, OrderStatus.refunded)),
    )
    if (await ctx.session.scalars(done.limit(1))).first() is not None:
        seen.add("completed_order")
    vehicles = await _vehicles_of(ctx, customer_id)
    if vehicles:
        owned = select(VehicleOwnership.id).where(
            VehicleOwnership.vehicle_id.in_(vehicles), VehicleOwnership.customer_id != customer_id
        )
        serviced = select(ServiceOrder.id).where(
            ServiceOrder.vehicle_id.in_(vehicles), ServiceOrder.customer_id != customer_id
        )
        for statement in (owned, serviced):
            if (await ctx.session.scalars(statement.limit(1))).first() is not None:
                seen.add("vehicle_seen")
    return frozenset(seen)


async def new_customer_revenue(
    ctx: PluginContext,
    *,
    since: dt.datetime,
    until: dt.datetime,
    days: int = 365,
    store_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, int]:
    """Customers won in ``[since, until)`` - their first completed order fell there (at
    ``store_id`` when given) - each with what they spent on completed orders within
    ``days`` of it, so far (SDK 1.3). What an acquisition channel is judged by: a referral
    programme compares its referees with the other new customers. A refunded order is no
    visit, and the tenant's internal customer (the shop) was won by nobody."""
    done = and_(
        ServiceOrder.status == OrderStatus.completed,
        ServiceOrder.customer_id != internal_customer_id(ctx.tenant_id),
    )
    first = (
        select(
            ServiceOrder.customer_id.label("customer_id"),
            func.min(ServiceOrder.completed_at).label("first_at"),
        )
        .where(done)
        .group_by(ServiceOrder.customer_id)
        .subquery()
    )
    statement = (
        select(
            ServiceOrder.customer_id,
            ServiceOrder.store_id,
            ServiceOrder.completed_at,
            ServiceOrder.total,
            first.c.first_at,
        )
        .join(first, first.c.customer_id == ServiceOrder.customer_id)
        .where(done, first.c.first_at >= since, first.c.first_at < until)
        .where(ServiceOrder.completed_at < until + dt.timedelta(days=days))
    )
    spent: dict[uuid.UUID, int] = {}
    won_at: set[uuid.UUID] = set()
    for customer_id, store, completed_at, total, first_at in await ctx.session.execute(statement):
        if completed_at < first_at + dt.timedelta(days=days):
            spent[customer_id] = spent.get(customer_id, 0) + int(total)
        if completed_at == first_at and (store_id is None or store == store_id):
            won_at.add(customer_id)
    return {c: spent.get(c, 0) for c in sorted(won_at)}
