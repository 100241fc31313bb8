"""Recomputing vehicles' due projections: one vehicle on its events, the fleet nightly.

The nightly pass streams the tenant's vehicles in batches (``list_vehicles``), reading
each batch's readings and service history in a few queries (``mileage_readings_of``,
``service_orders_of``) and writing the batch's rows before the next: memory holds a batch,
not the fleet. What it learns of each customer's visits is handed to the churn pass.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pitstop.sdk import (
    MileageReadingView,
    PluginContext,
    ServiceOrderView,
    VehicleView,
    get_customer,
    get_customers,
    get_vehicle,
    list_vehicles,
    mileage_readings,
    mileage_readings_of,
    new_id,
    service_orders_of,
    vehicle_service_orders,
)

from .models import StoreInterval, VehicleDue
from .projection import Due, missed_services, project_due
from .settings import RetentionSettings, ServiceInterval

BATCH = 500


def local_day(ctx: PluginContext, instant: dt.datetime) -> dt.date:
    return instant.astimezone(ZoneInfo(ctx.timezone)).date()


@dataclass
class Fleet:
    """What one batch taught about customers: their visits and missed maintenances."""

    visits: dict[uuid.UUID, list[tuple[dt.datetime, uuid.UUID]]] = field(default_factory=dict)
    missed: dict[uuid.UUID, int] = field(default_factory=dict)
    owners: set[uuid.UUID] = field(default_factory=set)
    intervals: Mapping[uuid.UUID, ServiceInterval] = field(default_factory=dict)
    """Stores' own intervals (read once per run)."""


async def store_intervals(ctx: PluginContext) -> dict[uuid.UUID, ServiceInterval]:
    """Each store's own interval, by store id: a row per store that set one (a few)."""
    rows = (await ctx.session.scalars(select(StoreInterval))).all()
    return {r.store_id: ServiceInterval(r.km, r.months) for r in rows}


@dataclass(frozen=True, slots=True)
class DueRow:
    """A vehicle's projection as the row of ``retention_due`` will hold it: a plain value,
    not a mapped object - the nightly pass makes one per car and never needs the session to
    track it (an instrumented object cost a quarter of the batch's Python time)."""

    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID | None
    cycle: str
    last_service_on: dt.date
    last_service_km: int | None
    km_per_day: float
    pace_source: str
    due_date: dt.date
    due_km: int | None
    projected_km: int | None
    reason: str
    cycle_days: int
    computed_at: dt.datetime


def project(
    ctx: PluginContext[RetentionSettings],
    vehicle: VehicleView,
    orders: Sequence[ServiceOrderView],
    readings: Sequence[MileageReadingView],
    intervals: Mapping[uuid.UUID, ServiceInterval],
) -> tuple[DueRow, Due] | None:
    """The vehicle's due row (not yet written), or None with nothing to count from; the
    interval of the store of the last service when it set its own."""
    settings, today = ctx.settings, local_day(ctx, ctx.now())
    timeline = [(local_day(ctx, r.read_at), r.mileage_km) for r in readings]
    served = [o for o in orders if o.completed_at is not None]
    if served:
        last = served[-1]
        assert last.completed_at is not None
        anchor, km, cycle = local_day(ctx, last.completed_at), last.mileage_km, f"order:{last.id}"
        store_id: uuid.UUID | None = last.store_id
    elif timeline:
        anchor, km = timeline[0]
        cycle, store_id = f"since:{anchor.isoformat()}", None
    elif vehicle.purchase_date is not None:
        anchor, km = vehicle.purchase_date, 0
        cycle, store_id = f"since:{anchor.isoformat()}", None
    else:
        return None
    interval = settings.interval_for(vehicle.make, intervals.get(store_id) if store_id else None)
    due = project_due(
        last_service=anchor,
        last_service_km=km,
        readings=timeline,
        interval_km=interval.km,
        interval_months=interval.months,
        default_km_per_day=settings.default_km_per_day,
        today=today,
    )
    row = DueRow(
        vehicle_id=vehicle.id,
        customer_id=vehicle.customer_id,
        store_id=store_id,
        cycle=cycle,
        last_service_on=anchor,
        last_service_km=km,
        km_per_day=round(due.km_per_day, 2),
        pace_source=due.pace_source,
        due_date=due.due_date,
        due_km=due.due_km,
        projected_km=due.projected_km,
        reason=due.reason,
        cycle_days=due.cycle_days,
        computed_at=ctx.now(),
    )
    return row, due


COPIED = (
    "customer_id", "store_id", "cycle", "last_service_on", "last_service_km", "km_per_day",
    "pace_source", "due_date", "due_km", "projected_km", "reason", "cycle_days", "computed_at",
)  # fmt: skip


async def _save(
    ctx: PluginContext, fresh: list[DueRow], gone: Sequence[uuid.UUID] = ()
) -> list[VehicleDue]:
    """Write one vehicle's row through the session (its events' path, where the row may be
    loaded already); rows of ``gone`` vehicles go."""
    ids = [r.vehicle_id for r in fresh] + list(gone)
    existing = {
        r.vehicle_id: r
        for r in (
            await ctx.session.scalars(select(VehicleDue).where(VehicleDue.vehicle_id.in_(ids)))
        ).all()
    }
    saved = []
    for row in fresh:
        old = existing.get(row.vehicle_id)
        if old is None:
            new = VehicleDue(vehicle_id=row.vehicle_id, **{n: getattr(row, n) for n in COPIED})
            ctx.session.add(new)
            saved.append(new)
            continue
        for name in COPIED:
            setattr(old, name, getattr(row, name))
        saved.append(old)
    for vehicle_id in gone:
        if vehicle_id in existing:
            await ctx.session.delete(existing[vehicle_id])
    await ctx.session.flush()
    return saved


async def _upsert(
    ctx: PluginContext, fresh: list[DueRow], gone: Sequence[uuid.UUID] = ()
) -> list[DueRow]:
    """A batch's rows in one ``INSERT … ON CONFLICT DO UPDATE`` (and one ``DELETE`` for the
    ``gone``): the nightly pass writes every car's row every night (its projected odometer
    moves), so reading the rows back as objects to update them cost a select and an object
    per car. The table's statement with the rows as parameters, not ``.values(rows)``: that
    one is compiled afresh for every batch (1,600 bound values), this one once. The rows
    returned are not in the session (the batch paths hold no due rows in it)."""
    if gone:
        await ctx.session.execute(
            delete(VehicleDue)
            .where(VehicleDue.vehicle_id.in_(list(gone)))
            .execution_options(synchronize_session=False)
        )
    if fresh:
        insert = postgresql_insert if ctx.session.dialect == "postgresql" else sqlite_insert
        statement = insert(cast(Table, VehicleDue.__table__))
        await ctx.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "vehicle_id"],
                set_={name: statement.excluded[name] for name in COPIED},
            ),
            [
                {"tenant_id": ctx.tenant_id, "id": new_id(), "vehicle_id": r.vehicle_id}
                | {name: getattr(r, name) for name in COPIED}
                for r in fresh
            ],
        )
    return fresh


async def forget(ctx: PluginContext, vehicle_ids: Sequence[uuid.UUID]) -> None:
    """Drop the rows of vehicles that are gone (deleted since they were projected)."""
    if vehicle_ids:
        await _save(ctx, [], vehicle_ids)


async def recompute_vehicle(
    ctx: PluginContext[RetentionSettings], vehicle_id: uuid.UUID
) -> VehicleDue | None:
    """One vehicle, on its own events (a completed service, a registration)."""
    vehicle = await get_vehicle(ctx, vehicle_id)
    if vehicle is None:
        return None
    owner = await get_customer(ctx, vehicle.customer_id)
    if owner is None or owner.erased or owner.internal:
        await _save(ctx, [], [vehicle_id])
        return None
    orders = await vehicle_service_orders(ctx, vehicle_id)
    readings = await mileage_readings(ctx, vehicle_id)
    projected = project(ctx, vehicle, orders, readings, await store_intervals(ctx))
    if projected is None:
        await _save(ctx, [], [vehicle_id])
        return None
    return (await _save(ctx, [projected[0]]))[0]


async def batches(ctx: PluginContext) -> AsyncIterator[list[VehicleView]]:
    batch: list[VehicleView] = []
    async for vehicle in list_vehicles(ctx, batch=BATCH):
        batch.append(vehicle)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def recompute_batch(
    ctx: PluginContext[RetentionSettings], vehicles: list[VehicleView], fleet: Fleet
) -> list[DueRow]:
    """A batch of the nightly pass: project, save, and note each owner's visits."""
    ids = [v.id for v in vehicles]
    orders, readings = await service_orders_of(ctx, ids), await mileage_readings_of(ctx, ids)
    today = local_day(ctx, ctx.now())
    owners = await get_customers(ctx, {v.customer_id for v in vehicles})
    fresh, gone = [], []
    for vehicle in vehicles:
        owner = owners.get(vehicle.customer_id)
        if owner is None or owner.erased or owner.internal:
            gone.append(vehicle.id)  # an erased customer (or the shop) is reminded of nothing
            continue
        fleet.owners.add(vehicle.customer_id)
        history = orders.get(vehicle.id, [])
        for order in history:
            if order.completed_at is not None:
                visits = fleet.visits.setdefault(order.customer_id, [])
                visits.append((order.completed_at, order.store_id))
        projected = project(ctx, vehicle, history, readings.get(vehicle.id, []), fleet.intervals)
        if projected is None:
            gone.append(vehicle.id)
            continue
        row, due = projected
        fresh.append(row)
        if history:
            missed = missed_services(due.due_date, due.cycle_days, today)
            who = vehicle.customer_id
            fleet.missed[who] = max(fleet.missed.get(who, 0), missed)
    return await _upsert(ctx, fresh, gone)
