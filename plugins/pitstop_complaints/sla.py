"""Firing warnings, breaches and escalation levels: once each, however many messages come.

Two paths lead here. Timers: a delayed message (``sla_check``) is deferred for every
instant at which something may fire. The sweep (``sla_sweep``, every 30 s per tenant) is
the backstop for lost or late messages. Both take the complaint with :func:`lock` - a row
lock on PostgreSQL plus a compare-and-set of ``revision`` that also serialises SQLite - and
then look at what is due *now*. What fired is recorded on the row in the same transaction
as its event and notifications, so a second message finds it done and does nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from pitstop.sdk import Calendar, Conflict, PluginContext
from pitstop_complaints.events import (
    BREACHED,
    ESCALATED,
    WARNING,
    ComplaintBreached,
    ComplaintEscalated,
    ComplaintWarning,
)

from .clocks import CLOCKS, calendar_of, pending_instants, running
from .firing import Firing
from .models import Complaint
from .settings import ComplaintSettings

MAX_LEVEL = 3
SWEEP_BATCH = 2000
CHECK_BATCH = 25
"""A timer fires at most this many complaints in its transaction (its own first): a
writer holds SQLite's lock for a bounded time; a bigger backlog takes the next timers."""
LOCK_ATTEMPTS = 5
OPEN_STATUSES = ("new", "acknowledged", "investigating", "awaiting_customer")


async def lock(ctx: PluginContext, complaint_id: uuid.UUID) -> Complaint | None:
    """The complaint, freshly read and claimed for this transaction (None if absent)."""
    for _ in range(LOCK_ATTEMPTS):
        complaint = (
            await ctx.session.scalars(
                select(Complaint)
                .where(Complaint.id == complaint_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one_or_none()
        if complaint is None:
            return None
        claimed = await ctx.session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id, Complaint.revision == complaint.revision)
            .values(revision=complaint.revision + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            set_committed_value(complaint, "revision", complaint.revision + 1)
            return complaint
    raise Conflict("the complaint is being changed by someone else; retry", code="busy")


def schedule_timers(ctx: PluginContext, complaint: Complaint) -> None:
    """Defer an ``sla_check`` for every instant at which something may fire."""
    for instant in pending_instants(complaint):
        ctx.defer("sla_check", at=instant, complaint_id=str(complaint.id))


async def fire_due(
    ctx: PluginContext, complaint: Complaint, firing: Firing | None = None
) -> list[str]:
    """Fire whatever is due at ``ctx.now()`` and not yet fired; returns what fired.

    ``firing``: the batch's shared reads (:mod:`.firing`); its events and rows are then
    left to the batch's end. Without it the complaint is fired and flushed on its own."""
    now = ctx.now()
    if complaint.paused_at is not None or complaint.status == "closed":
        return []
    batch = firing or Firing(ctx)
    calendar = await calendar_of(ctx, complaint.store_id, complaint.calendar)
    fired: list[str] = []
    for clock in CLOCKS:
        if not running(complaint, clock):
            continue
        if now >= getattr(complaint, f"{clock}_due_at"):
            await _breach(batch, ctx, complaint, clock, calendar, now)
            fired.append(f"{clock}.breached")
        elif getattr(complaint, f"{clock}_warned_at") is None and now >= getattr(
            complaint, f"{clock}_warn_at"
        ):
            await _warn(batch, ctx, complaint, clock, now)
            fired.append(f"{clock}.warning")
    while complaint.escalation_next_at is not None and now >= complaint.escalation_next_at:
        fired.append(f"escalated.{await _escalate(batch, ctx, complaint, calendar, now)}")
    if fired:
        complaint.updated_at = now
        if firing is None:
            await batch.emit_all()
            await ctx.session.flush()
    return fired


def _cycle(complaint: Complaint, clock: str) -> str:
    """Reasons repeat per resolution cycle: a reopened complaint can breach again."""
    return f".r{complaint.reopen_count}" if clock == "resolution" else ""


async def _warn(
    firing: Firing, ctx: PluginContext, complaint: Complaint, clock: str, now: dt.datetime
) -> None:
    setattr(complaint, f"{clock}_warned_at", now)
    due: dt.datetime = getattr(complaint, f"{clock}_due_at")
    facts = ComplaintWarning(complaint.id, complaint.store_id, clock, complaint.severity, due)
    firing.emit(complaint, WARNING.name, facts)
    recipients: list[uuid.UUID | None] = [complaint.assignee_id]
    if complaint.assignee_id is None:
        recipients = list(await firing.staff("store_manager", complaint.store_id))
    await firing.notify(complaint, recipients, f"{clock}.warning{_cycle(complaint, clock)}")


async def _breach(
    firing: Firing,
    ctx: PluginContext,
    complaint: Complaint,
    clock: str,
    calendar: Calendar,
    now: dt.datetime,
) -> None:
    """Record the breach; the first breach starts escalation, a later one advances it."""
    due: dt.datetime = getattr(complaint, f"{clock}_due_at")
    setattr(complaint, f"{clock}_breached_at", now)
    late = round((now - due).total_seconds(), 3)
    facts = ComplaintBreached(
        complaint.id, complaint.store_id, clock, complaint.severity, due, late
    )
    firing.emit(complaint, BREACHED.name, facts)
    reason = f"{clock}.breached{_cycle(complaint, clock)}"
    await firing.notify(complaint, [complaint.assignee_id], reason)
    if complaint.escalation_next_at is None and complaint.escalation_level < MAX_LEVEL:
        delays = _settings(ctx).escalation.delays()
        step = dt.timedelta(seconds=delays[min(complaint.escalation_level, MAX_LEVEL - 1)])
        complaint.escalation_next_at = calendar.shift(due, step)


async def _escalate(
    firing: Firing, ctx: PluginContext, complaint: Complaint, calendar: Calendar, now: dt.datetime
) -> int:
    """Go up one level (a top-tier customer's complaint starts at level 2)."""
    settings = _settings(ctx)
    start = 2 if complaint.top_tier else 1
    level = max(complaint.escalation_level + 1, start)
    step_from = complaint.escalation_next_at or now
    complaint.escalation_level, complaint.escalated_at = level, now
    if level < MAX_LEVEL:
        step = dt.timedelta(seconds=settings.escalation.delays()[level])
        complaint.escalation_next_at = calendar.shift(step_from, step)
    else:
        complaint.escalation_next_at = None
    firing.emit(
        complaint,
        ESCALATED.name,
        ComplaintEscalated(
            complaint.id, complaint.store_id, level, complaint.severity, complaint.top_tier
        ),
    )
    recipients = await escalation_recipients(firing, ctx, complaint, level)
    await firing.notify(complaint, recipients, f"escalated.{level}")
    return level


async def escalation_recipients(
    firing: Firing, ctx: PluginContext, complaint: Complaint, level: int
) -> list[uuid.UUID | None]:
    """Level 1: assignee + store manager; 2: the HQ complaint owner role; 3: the top role."""
    settings = _settings(ctx)
    if level == 1:
        managers = await firing.staff("store_manager", complaint.store_id)
        return [complaint.assignee_id, *managers]
    role = settings.escalation.owner_role if level == 2 else settings.escalation.top_role
    return list(await firing.staff(role, complaint.store_id))


def _settings(ctx: PluginContext[ComplaintSettings]) -> ComplaintSettings:
    settings = ctx.settings
    return settings


async def sla_due(ctx: PluginContext, *, complaint_id: str) -> bool:
    """The timer's read before any lock: has this complaint something due and unfired?

    Most timers of a burst find that an earlier timer's batch fired theirs: they stop here,
    without taking SQLite's write lock. The write transaction looks again under the lock.
    """
    found = await ctx.session.scalar(
        select(Complaint.id).where(Complaint.id == uuid.UUID(complaint_id), *_due(ctx.now()))
    )
    return found is not None


async def sla_check(ctx: PluginContext, *, complaint_id: str) -> None:
    """The timer task: fires this complaint and every other of the tenant due by now (at
    most :data:`CHECK_BATCH`) in one transaction. Duplicates and late arrivals find the
    work done and do nothing: each complaint is claimed under its lock and fires only
    what it has not recorded as fired."""
    mine = uuid.UUID(complaint_id)
    complaint = await lock(ctx, mine)
    batch = [*([complaint] if complaint is not None else []), *await _claim_others(ctx, mine)]
    await _fire_all(ctx, batch)


async def _claim_others(ctx: PluginContext, mine: uuid.UUID) -> Sequence[Complaint]:
    """The tenant's other complaints due by now, claimed as :func:`lock` claims one, in two
    statements for them all. Rows another check (or the sweep) holds are its to fire
    (PostgreSQL, ``SKIP LOCKED``; SQLite has one writer at a time, so there are none).
    Under the row lock (or SQLite's single writer) nobody changes ``revision`` between
    the read and the increment, so the compare of :func:`lock` is not needed."""
    others = (
        await ctx.session.scalars(
            select(Complaint)
            .where(Complaint.id != mine, *_due(ctx.now()))
            .order_by(Complaint.id)
            .limit(CHECK_BATCH - 1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    if others:
        await ctx.session.execute(
            update(Complaint)
            .where(Complaint.id.in_([c.id for c in others]))
            .values(revision=Complaint.revision + 1)
            .execution_options(synchronize_session=False)
        )
        for other in others:
            set_committed_value(other, "revision", other.revision + 1)
    return others


async def _fire_all(ctx: PluginContext, complaints: Sequence[Complaint]) -> None:
    """Fire each claimed complaint with the batch's shared reads; one flush at the end."""
    firing = Firing(ctx)
    await firing.read(complaints)
    for complaint in complaints:
        if await fire_due(ctx, complaint, firing):
            schedule_escalation(ctx, complaint)
    await firing.emit_all()
    await ctx.session.flush()


async def _fire_each(ctx: PluginContext, ids: Sequence[uuid.UUID]) -> None:
    for complaint_id in ids:
        complaint = await lock(ctx, complaint_id)
        if complaint is not None and await fire_due(ctx, complaint):
            schedule_escalation(ctx, complaint)


def schedule_escalation(ctx: PluginContext, complaint: Complaint) -> None:
    """A breach or an escalation sets the next level's instant: put a timer on it."""
    if complaint.escalation_next_at is not None:
        ctx.defer("sla_check", at=complaint.escalation_next_at, complaint_id=str(complaint.id))


def due_filter(now: dt.datetime) -> list[object]:
    """SQL conditions for "something is due and has not fired" (the sweep's query)."""
    conditions: list[object] = [Complaint.escalation_next_at <= now]
    for clock in CLOCKS:
        met = getattr(Complaint, f"{clock}_met_at")
        breached = getattr(Complaint, f"{clock}_breached_at")
        warned = getattr(Complaint, f"{clock}_warned_at")
        conditions.append(
            met.is_(None)
            & breached.is_(None)
            & (
                (getattr(Complaint, f"{clock}_due_at") <= now)
                | (warned.is_(None) & (getattr(Complaint, f"{clock}_warn_at") <= now))
            )
        )
    return conditions


def _due(now: dt.datetime) -> list[ColumnElement[bool]]:
    """An open, running complaint with something due by ``now`` that has not fired."""
    return [
        Complaint.status.in_(OPEN_STATUSES),
        Complaint.paused_at.is_(None),
        or_(*due_filter(now)),  # type: ignore[arg-type]
    ]


async def sla_sweep(ctx: PluginContext) -> None:
    """The backstop: fire everything due for this tenant that no timer has handled."""
    ids = (
        await ctx.session.scalars(
            select(Complaint.id).where(*_due(ctx.now())).order_by(Complaint.id).limit(SWEEP_BATCH)
        )
    ).all()
    await _fire_each(ctx, ids)
