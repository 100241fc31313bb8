"""Service-due reminders: each stage of a due cycle sent once, and their conversions.

A cycle runs from a vehicle's last service; the stages are ``before`` (the due date less
``remind_before_days``), ``on_due`` and ``overdue_<n>`` for each configured offset. The
nightly run sends the latest stage the day has reached and not yet sent (a run missed for
a week sends one reminder, not three), if its day is at most ``reminder_grace_days`` ago:
a stage further past is recorded as ``skipped_late`` and never sent, so switching
reminders on over an old book does not message every long-overdue customer at once (they
become at risk or dormant, and the recall worklist's). A visit starts a new cycle, so the
old cycle's later stages never come: reminders stop themselves. A vehicle with an open
service order (booked, or in the bay) gets no reminder while it stays open: the stage is
simply not sent, so it goes out later only if the booking is dropped, the cycle is still
unserved and the stage still within its grace. The unique key (vehicle, cycle, stage) and
the message's dedupe key make a repeated run send nothing twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pitstop.sdk import PluginContext, get_store, new_id, open_service_orders_of

from .due import DueRow, local_day
from .models import Reminder
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


def stage_for(
    settings: RetentionSettings, due_date: dt.date, today: dt.date
) -> tuple[str, dt.date] | None:
    """The latest stage ``today`` has reached and its day, or None before the first."""
    reached = [(name, day) for name, day in stages(settings, due_date) if day <= today]
    return reached[-1] if reached else None


async def remind(ctx: PluginContext[RetentionSettings], rows: list[DueRow]) -> int:
    """Send what today's stage asks of each row, once; returns how many were sent.

    Most cars of a batch are past a stage already sent: what was sent (or skipped) is read
    as bare (vehicle, cycle, stage) tuples of the batch's current cycles. A stage more than
    ``reminder_grace_days`` past its day is recorded as skipped and never sent; only the
    cars left - a few a night - are asked for an open order. The batch's stages, skipped
    and sent, are recorded in one statement, and the sent ones' message ids noted in one
    more: a reminder costs its ``ctx.notify`` and nothing else."""
    today = local_day(ctx, ctx.now())
    wanted: dict[uuid.UUID, tuple[DueRow, str, dt.date]] = {}
    for row in rows:
        found = stage_for(ctx.settings, row.due_date, today)
        if found is not None:
            wanted[row.vehicle_id] = (row, *found)
    if wanted:
        sent_before = await ctx.session.execute(
            select(Reminder.vehicle_id, Reminder.cycle, Reminder.stage).where(
                Reminder.vehicle_id.in_(list(wanted)),
                Reminder.cycle.in_(sorted({r.cycle for r, _, _ in wanted.values()})),
            )
        )
        for vehicle_id, cycle, done in sent_before.all():
            known = wanted.get(vehicle_id)
            if known is not None and (cycle, done) == (known[0].cycle, known[1]):
                del wanted[vehicle_id]
    latest = today - dt.timedelta(days=ctx.settings.reminder_grace_days)
    late = [(r, s, "skipped_late") for r, s, day in wanted.values() if day < latest]
    timely = {v: (r, s) for v, (r, s, day) in wanted.items() if day >= latest}
    if timely:
        for booked in await open_service_orders_of(ctx, list(timely)):
            del timely[booked]  # an open order: the car is expected, the reminder waits
    claimed = await _claim(ctx, late + [(r, s, "sent") for r, s in timely.values()])
    names: dict[uuid.UUID | None, str] = {}
    noted = []
    for row, stage in timely.values():
        if row.vehicle_id in claimed:
            message_id = await _send(ctx, row, stage, names)
            reminder = claimed[row.vehicle_id]
            noted.append({"tenant_id": ctx.tenant_id, "id": reminder, "message_id": message_id})
    if noted:  # the ORM's UPDATE by primary key, one statement for the lot
        await ctx.session.execute(update(Reminder), noted)
    return len(noted)


async def _claim(
    ctx: PluginContext, stages: list[tuple[DueRow, str, str]]
) -> dict[uuid.UUID, uuid.UUID]:
    """Record the stages, ``sent`` or ``skipped_late``, in one ``INSERT … ON CONFLICT DO
    NOTHING`` (a concurrent run that recorded one first wins, and this one sends nothing
    for it); returns the reminder's id of each vehicle whose stage to send this run holds."""
    if not stages:
        return {}
    insert = postgresql_insert if ctx.session.dialect == "postgresql" else sqlite_insert
    table, now = cast(Table, Reminder.__table__), ctx.now()
    statement = insert(table).on_conflict_do_nothing(
        index_elements=["tenant_id", "vehicle_id", "cycle", "stage"]
    )
    rows = [
        {
            "tenant_id": ctx.tenant_id,
            "id": new_id(),
            "vehicle_id": row.vehicle_id,
            "customer_id": row.customer_id,
            "store_id": row.store_id,
            "cycle": row.cycle,
            "stage": stage,
            "due_date": row.due_date,
            "status": status,
            "sent_at": now,
        }
        for row, stage, status in stages
    ]
    recorded = await ctx.session.execute(
        statement.returning(table.c.vehicle_id, table.c.id, table.c.status), rows
    )
    return {vehicle: made for vehicle, made, status in recorded.all() if status == "sent"}


async def _store_name(
    ctx: PluginContext, store_id: uuid.UUID | None, names: dict[uuid.UUID | None, str]
) -> str:
    if store_id not in names:
        store = None if store_id is None else await get_store(ctx, store_id)
        names[store_id] = "门店" if store is None else store.name
    return names[store_id]


async def _send(
    ctx: PluginContext[RetentionSettings],
    row: DueRow,
    stage: str,
    names: dict[uuid.UUID | None, str],
) -> uuid.UUID:
    """Queue the stage's message; returns its id (the contact log's)."""
    return await ctx.notify(
        customer_id=row.customer_id,
        purpose="service",
        template="service_due",
        data={
            "store_name": await _store_name(ctx, row.store_id, names),
            "due_date": row.due_date.isoformat(),
        },
        store_id=row.store_id,
        dedupe_key=f"due:{row.vehicle_id}:{row.cycle}:{stage}",
    )


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
