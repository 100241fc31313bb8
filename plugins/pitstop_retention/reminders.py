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
    ``reminder_grace_days`` past its day is recorded as skipped, all in one statement, and
    never sent; only the cars left - a few a night - are asked for an open order and
    reminded."""
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
    await _skip(ctx, [(r, s) for r, s, day in wanted.values() if day < latest])
    timely = {v: (r, s) for v, (r, s, day) in wanted.items() if day >= latest}
    if timely:
        for booked in await open_service_orders_of(ctx, list(timely)):
            del timely[booked]  # an open order: the car is expected, the reminder waits
    names: dict[uuid.UUID | None, str] = {}
    sent = 0
    for row, stage in timely.values():
        sent += await _send(ctx, row, stage, names)
    return sent


async def _skip(ctx: PluginContext, late: list[tuple[DueRow, str]]) -> None:
    """Record stages long past as ``skipped_late`` in one statement (a concurrent run that
    recorded one first wins): they are never sent, and the KPIs count only ``sent``."""
    if not late:
        return
    insert = postgresql_insert if ctx.session.dialect == "postgresql" else sqlite_insert
    now = ctx.now()
    await ctx.session.execute(
        insert(cast(Table, Reminder.__table__)).on_conflict_do_nothing(
            index_elements=["tenant_id", "vehicle_id", "cycle", "stage"]
        ),
        [
            {
                "tenant_id": ctx.tenant_id,
                "id": new_id(),
                "vehicle_id": row.vehicle_id,
                "customer_id": row.customer_id,
                "store_id": row.store_id,
                "cycle": row.cycle,
                "stage": stage,
                "due_date": row.due_date,
                "status": "skipped_late",
                "sent_at": now,
            }
            for row, stage in late
        ],
    )


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
) -> int:
    """Claim the stage (``ON CONFLICT DO NOTHING``: a concurrent run that claimed it first
    wins, and this one sends nothing), then queue the message and note its id."""
    insert = postgresql_insert if ctx.session.dialect == "postgresql" else sqlite_insert
    claimed = await ctx.session.scalar(
        insert(Reminder)
        .values(
            tenant_id=ctx.tenant_id,
            id=new_id(),
            vehicle_id=row.vehicle_id,
            customer_id=row.customer_id,
            store_id=row.store_id,
            cycle=row.cycle,
            stage=stage,
            due_date=row.due_date,
            status="sent",
            sent_at=ctx.now(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "vehicle_id", "cycle", "stage"])
        .returning(Reminder.id)
    )
    if claimed is None:
        return 0
    message_id = await ctx.notify(
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
    await ctx.session.execute(
        update(Reminder)
        .where(Reminder.id == claimed)
        .values(message_id=message_id)
        .execution_options(synchronize_session=False)
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
