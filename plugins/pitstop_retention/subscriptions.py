"""What the retention plugin does when something happens elsewhere.

A completed service recomputes the vehicle's due date (a new cycle: the old cycle's
reminders stop), converts the reminders and recalls it answers, makes the customer active
again and schedules the follow-ups. A registered vehicle gets its first projection, a
reading by hand a fresh one. The
complaints plugin's events tell which complaints are open (a churn signal). Each handler
runs once per event (the host's delivery mark); the writes are idempotent besides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.sdk import Event, PluginContext, get_customer

from . import churn, due, follow_ups, reminders, tasks
from .models import Complaint, VehicleDue, Visit
from .settings import RetentionSettings


async def on_order_completed(ctx: PluginContext[RetentionSettings], event: Event) -> None:
    payload: dict[str, Any] = event.payload
    order_id, store_id = uuid.UUID(payload["order_id"]), uuid.UUID(payload["store_id"])
    customer_id, vehicle_id = uuid.UUID(payload["customer_id"]), uuid.UUID(payload["vehicle_id"])
    at = event.occurred_at
    customer = await get_customer(ctx, customer_id)
    if customer is not None and customer.internal:
        return  # the shop's own reconditioning job: no visit, survey or reminder
    await _visit(ctx, payload, at)
    await due.recompute_vehicle(ctx, vehicle_id)
    await reminders.convert(ctx, vehicle_id, order_id, at)
    await tasks.won_back(ctx, customer_id, at)
    await churn.visited(ctx, customer_id, store_id, at)
    await follow_ups.schedule(ctx, order_id, customer_id, store_id, at)


ON_TIME_DAYS, ON_TIME_KM = 30, 1_000


async def _visit(ctx: PluginContext, payload: dict[str, Any], at: dt.datetime) -> None:
    """Note the visit and whether it kept the due it answers (before that is recomputed)."""
    order_id, vehicle_id = uuid.UUID(payload["order_id"]), uuid.UUID(payload["vehicle_id"])
    if (
        await ctx.session.scalars(select(Visit).where(Visit.order_id == order_id))
    ).one_or_none() is not None:
        return
    row = (
        await ctx.session.scalars(select(VehicleDue).where(VehicleDue.vehicle_id == vehicle_id))
    ).one_or_none()
    on_time = None
    if row is not None and row.cycle.startswith("order:"):
        days = abs((due.local_day(ctx, at) - row.due_date).days)
        km = payload.get("mileage_km")
        near_km = row.due_km is not None and km is not None and abs(km - row.due_km) <= ON_TIME_KM
        on_time = days <= ON_TIME_DAYS or near_km
    ctx.session.add(
        Visit(
            order_id=order_id,
            vehicle_id=vehicle_id,
            customer_id=uuid.UUID(payload["customer_id"]),
            store_id=uuid.UUID(payload["store_id"]),
            at=at,
            on_time=on_time,
        )
    )


async def on_vehicle_registered(ctx: PluginContext[RetentionSettings], event: Event) -> None:
    await due.recompute_vehicle(ctx, uuid.UUID(event.payload["vehicle_id"]))


async def on_mileage_recorded(ctx: PluginContext[RetentionSettings], event: Event) -> None:
    """A reading by hand re-projects the car at once (its pace, the distance since its
    service). An order's reading is left to ``service_order.completed``: the two events are
    delivered in no set order, and the visit must be judged on time against the due it
    answered before the new cycle replaces it."""
    if event.payload.get("service_order_id") is None:
        await due.recompute_vehicle(ctx, uuid.UUID(event.payload["vehicle_id"]))


async def _complaint(ctx: PluginContext, complaint_id: uuid.UUID) -> Complaint:
    found = (
        await ctx.session.scalars(select(Complaint).where(Complaint.complaint_id == complaint_id))
    ).one_or_none()
    if found is None:
        found = Complaint(complaint_id=complaint_id)
        ctx.session.add(found)
    return found


async def on_complaint_created(ctx: PluginContext, event: Event) -> None:
    row = await _complaint(ctx, uuid.UUID(event.payload["complaint_id"]))
    row.customer_id = uuid.UUID(event.payload["customer_id"])
    row.opened_at = event.occurred_at


async def on_complaint_resolved(ctx: PluginContext, event: Event) -> None:
    row = await _complaint(ctx, uuid.UUID(event.payload["complaint_id"]))
    row.resolved_at = event.occurred_at


SUBSCRIPTIONS = {
    "service_order.completed": on_order_completed,
    "vehicle.registered": on_vehicle_registered,
    "vehicle.mileage_recorded": on_mileage_recorded,
    "complaint.created": on_complaint_created,
    "complaint.resolved": on_complaint_resolved,
}
