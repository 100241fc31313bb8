"""Service-due reminders: each stage of a due cycle sent once, and their conversions.

A cycle runs from a vehicle's last service; the stages are ``before`` (the due date less
``remind_before_days``), ``on_due`` and ``overdue_<n>`` for each configured offset. The
nightly run sends the latest stage the day has reached and not yet sent (a run missed for
a week sends one reminder, not three). A visit starts a new cycle, so the old cycle's
later stages never come: reminders stop themselves. A vehicle with an open service order
(booked, or in the bay) gets no reminder while it stays open: the stage is simply not sent,
so it goes out later only if the booking is dropped and the cycle is still unserved. The
unique key (vehicle, cycle,
stage) and the message's dedupe key make a repeated run send nothing twice.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import PluginContext, get_store, open_service_orders_of

from .due import local_day
from .models import Reminder, VehicleDue
from .settings import RetentionSettings


def stages(settings: RetentionSettings, due_date: dt.date) -> list[tuple[str, dt.date]]:
    """The cycle's reminder stages and their days, earliest first."""
    found = [("before", due_date - dt.timedelta(days=settings.remind_before_days))]
    if settings.remind_on_due:
        found.append(("on_due", due_date))
    found += [
        (f"overdue_{d}", due_date + dt.timedelta(days=d)) for d in settings.overdue_reminders_days
    ]
    return found


def stage_for(settings: RetentionSettings, due_date: dt.date, today: dt.date) -> str | None:
    """The latest stage ``today`` has reached, or None before the first."""
    reached = [name for name, day in stages(settings, due_date) if day <= today]
    return reached[-1] if reached else None


async def _store_name(ctx: PluginContext, store_id: uuid.UUID | None) -> str:
    store = None if store_id is None else await get_store(ctx, store_id)
    return "门店" if store is None else store.name


async def remind(ctx: PluginContext[RetentionSettings], rows: list[VehicleDue]) -> int:
    """Send what today's stage asks of each row, once; returns how many were sent."""
    today = local_day(ctx, ctx.now())
    wanted = {r.vehicle_id: (r, stage_for(ctx.settings, r.due_date, today)) for r in rows}
    wanted = {v: (r, s) for v, (r, s) in wanted.items() if s is not None}
    for booked in await open_service_orders_of(ctx, list(wanted)):
        del wanted[booked]  # an open order: the car is expected, the reminder waits
    if not wanted:
        return 0
    done = {
        (m.vehicle_id, m.cycle, m.stage)
        for m in (
            await ctx.session.scalars(select(Reminder).where(Reminder.vehicle_id.in_(list(wanted))))
        ).all()
    }
    sent = 0
    for row, stage in wanted.values():
        assert stage is not None
        if (row.vehicle_id, row.cycle, stage) in done:
            continue
        sent += await _send(ctx, row, stage)
    return sent


async def _send(ctx: PluginContext[RetentionSettings], row: VehicleDue, stage: str) -> int:
    reminder = Reminder(
        vehicle_id=row.vehicle_id,
        customer_id=row.customer_id,
        store_id=row.store_id,
        cycle=row.cycle,
        stage=stage,
        due_date=row.due_date,
        status="sent",
        sent_at=ctx.now(),
    )
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(reminder)
            await ctx.session.flush()
    except IntegrityError:
        return 0  # a concurrent run wrote it first
    reminder.message_id = await ctx.notify(
        customer_id=row.customer_id,
        purpose="service",
        template="service_due",
        data={
            "store_name": await _store_name(ctx, row.store_id),
            "due_date": row.due_date.isoformat(),
        },
        store_id=row.store_id,
        dedupe_key=f"due:{row.vehicle_id}:{row.cycle}:{stage}",
    )
    return 1


async def convert(
    ctx: PluginContext[RetentionSettings],
    vehicle_id: uuid.UUID,
    order_id: uuid.UUID,
    completed_at: dt.datetime,
) -> int:
    """A visit converts the vehicle's reminders sent in the window before it."""
    since = completed_at - dt.timedelta(days=ctx.settings.conversion_days)
    result = await ctx.session.execute(
        update(Reminder)
        .where(
            Reminder.vehicle_id == vehicle_id,
            Reminder.status == "sent",
            Reminder.converted_at.is_(None),
            Reminder.sent_at >= since,
            Reminder.sent_at <= completed_at,
        )
        .values(converted_at=completed_at, converted_order_id=order_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
