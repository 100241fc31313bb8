"""A store's own service interval: ``/api/v1/retention/store-intervals``.

A chain sets one interval in its settings (``service_interval``), but a store on dusty
roads or serving taxis may want its cars in sooner. Its interval replaces the tenant's for
the cars whose last service was there; a make's interval (``interval_by_make``) still comes
first - it is about the car, wherever serviced. Setting or clearing one re-projects that
store's cars on a worker at once (``store_interval`` task, in batches of 500), and sends
each batch's reminders the new dates have made due - a car whose shorter interval put it
past a stage hears now, not after the next nightly run. Another tenant's store, or another store of
a store-scoped caller, is a 404 like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from pitstop.sdk import NotFound, PluginContext, Unprocessable, get_vehicles

from .api import MANAGE, READ, checked_store, scoped
from .due import BATCH, Fleet, forget, recompute_batch, store_intervals
from .models import StoreInterval, VehicleDue
from .reminders import remind
from .settings import RetentionSettings, ServiceInterval


class StoreIntervalIn(msgspec.Struct, forbid_unknown_fields=True):
    km: int
    months: int


class IntervalOut(msgspec.Struct):
    km: int
    months: int


class StoreIntervalOut(msgspec.Struct):
    store_id: uuid.UUID
    km: int
    months: int
    updated_at: dt.datetime


class StoreIntervalsOut(msgspec.Struct):
    default: IntervalOut
    """The tenant's ``service_interval``: what a store without its own uses."""
    stores: list[StoreIntervalOut]


def _out(row: StoreInterval) -> StoreIntervalOut:
    return StoreIntervalOut(row.store_id, row.km, row.months, row.updated_at)


async def _row(ctx: PluginContext, store_id: uuid.UUID) -> StoreInterval | None:
    statement = select(StoreInterval).where(StoreInterval.store_id == store_id)
    return (await ctx.session.scalars(statement)).one_or_none()


async def recompute_store(ctx: PluginContext[RetentionSettings], *, store_id: str) -> None:
    """The task after a change of a store's interval."""
    await reproject_store(ctx, uuid.UUID(store_id))


async def reproject_store(ctx: PluginContext[RetentionSettings], store: uuid.UUID) -> int:
    """Re-project the cars whose last service was at the store, :data:`BATCH` at a time in
    keyset order - each batch read in a few queries, written and reminded before the next,
    as the nightly pass does - so a store of 100,000 cars costs a few hundred statements
    and a batch's memory. Returns the cars re-projected."""
    intervals = await store_intervals(ctx)
    after: uuid.UUID | None = None
    done = 0
    while True:
        statement = select(VehicleDue.vehicle_id).where(VehicleDue.store_id == store)
        if after is not None:
            statement = statement.where(VehicleDue.vehicle_id > after)
        statement = statement.order_by(VehicleDue.vehicle_id).limit(BATCH)
        ids = list((await ctx.session.scalars(statement)).all())
        if not ids:
            return done
        vehicles = await get_vehicles(ctx, ids)
        await forget(ctx, [v for v in ids if v not in vehicles])
        rows = await recompute_batch(
            ctx, [vehicles[v] for v in ids if v in vehicles], Fleet(intervals=intervals)
        )
        await remind(ctx, rows)
        done += len(vehicles)
        after = ids[-1]


class StoreIntervalsController(Controller):
    path = "/store-intervals"

    @get("/", opt=READ)
    async def list_intervals(
        self, ctx: NamedDependency[PluginContext[RetentionSettings]]
    ) -> StoreIntervalsOut:
        """The tenant's interval and every store's own (of the caller's stores)."""
        rows = await own_intervals(ctx)
        default = ctx.settings.service_interval
        return StoreIntervalsOut(IntervalOut(default.km, default.months), [_out(r) for r in rows])

    @put("/{store_id:uuid}", opt=MANAGE)
    async def set_interval(
        self,
        ctx: NamedDependency[PluginContext],
        store_id: FromPath[uuid.UUID],
        data: JSONBody[StoreIntervalIn],
    ) -> StoreIntervalOut:
        """The store's own interval, checked as the settings' (each bad field named)."""
        return _out(await save_interval(ctx, store_id, data.km, data.months))

    @delete("/{store_id:uuid}", opt=MANAGE, status_code=204)
    async def clear_interval(
        self, ctx: NamedDependency[PluginContext], store_id: FromPath[uuid.UUID]
    ) -> None:
        """Back to the tenant's interval; a store with none of its own is a 404."""
        await drop_interval(ctx, store_id)


async def save_interval(
    ctx: PluginContext, store_id: uuid.UUID, km: int, months: int
) -> StoreInterval:
    """Set a store's own interval (the API's and the console's one path): the caller's
    store, bounds as the settings', audited, the store's cars re-projected on a worker."""
    await checked_store(ctx, store_id)
    problem = ServiceInterval(km, months).problem()
    if problem is not None:
        raise Unprocessable.field(*problem)
    row = await _row(ctx, store_id)
    if row is None:
        row = StoreInterval(store_id=store_id, km=km, months=months)
        ctx.session.add(row)
    row.km, row.months, row.updated_at = km, months, ctx.now()
    await ctx.session.flush()
    await _changed(ctx, "retention.store_interval_set", store_id, {"km": km, "months": months})
    return row


async def drop_interval(ctx: PluginContext, store_id: uuid.UUID) -> None:
    """Back to the tenant's interval; a store with none of its own is a 404."""
    await checked_store(ctx, store_id)
    row = await _row(ctx, store_id)
    if row is None:
        raise NotFound("this store has no interval of its own", code="store_interval_unset")
    await ctx.session.delete(row)
    await _changed(ctx, "retention.store_interval_cleared", store_id, {})


async def own_intervals(ctx: PluginContext) -> list[StoreInterval]:
    """The stores' own intervals the caller may see."""
    statement = scoped(ctx, select(StoreInterval), StoreInterval.store_id)
    return list((await ctx.session.scalars(statement.order_by(StoreInterval.store_id))).all())


async def _changed(
    ctx: PluginContext, action: str, store_id: uuid.UUID, detail: dict[str, Any]
) -> None:
    ctx.defer("store_interval", at=ctx.now(), store_id=str(store_id))
    await ctx.audit(action, resource="store", resource_id=store_id, detail=detail)
