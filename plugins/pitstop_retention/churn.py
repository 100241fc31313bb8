"""Each customer's retention state, nightly: ``active``, ``at_risk``, ``dormant``, ``lost``.

``lost`` after ``lost_after_months`` without a visit, ``dormant`` after
``dormant_after_months``; otherwise ``at_risk`` for any of three reasons: a vehicle has
missed ``missed_services_for_risk`` maintenances in a row (``missed_services``), the time
since the last visit is more than twice the customer's own median gap between visits
(``long_interval``), or a complaint has been open more than ``complaint_unresolved_days``
(``complaint_unresolved``, learnt from the complaints plugin's events). A customer with
no visit yet has no state. Becoming at risk or dormant is an event (ids only); becoming
dormant opens a recall task. Every change of state is a line of the customer's history
(``retention_state_changes``), with why: the risk reasons, ``no_visit``, ``visit`` or
``no_risk``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update

from pitstop.sdk import PluginContext, get_customers

from .due import Fleet, local_day
from .events import AT_RISK, DORMANT, CustomerStateChanged
from .models import Complaint, CustomerState, StateChange
from .projection import add_months
from .settings import RetentionSettings
from .tasks import Recall, open_recalls


def classify(
    settings: RetentionSettings,
    visits: Sequence[dt.date],
    today: dt.date,
    *,
    missed: int = 0,
    complaint_open_since: dt.date | None = None,
) -> tuple[str, list[str]] | None:
    """The state and risk reasons of a customer with these visit days (oldest first)."""
    if not visits:
        return None
    last = visits[-1]
    if today >= add_months(last, settings.lost_after_months):
        return "lost", []
    if today >= add_months(last, settings.dormant_after_months):
        return "dormant", []
    reasons = []
    if missed >= settings.missed_services_for_risk:
        reasons.append("missed_services")
    gaps = [(b - a).days for a, b in itertools.pairwise(visits) if b > a]
    if gaps and (today - last).days > 2 * statistics.median(gaps):
        reasons.append("long_interval")
    limit = dt.timedelta(days=settings.complaint_unresolved_days)
    if complaint_open_since is not None and today - complaint_open_since > limit:
        reasons.append("complaint_unresolved")
    return ("at_risk", reasons) if reasons else ("active", [])


async def open_complaints(ctx: PluginContext) -> dict[uuid.UUID, dt.date]:
    """Each customer's oldest unresolved complaint, by the day it was opened."""
    rows = await ctx.session.scalars(
        select(Complaint).where(
            Complaint.resolved_at.is_(None),
            Complaint.customer_id.is_not(None),
            Complaint.opened_at.is_not(None),
        )
    )
    found: dict[uuid.UUID, dt.date] = {}
    for row in rows.all():
        assert row.customer_id is not None and row.opened_at is not None
        day = local_day(ctx, row.opened_at)
        found[row.customer_id] = min(day, found.get(row.customer_id, day))
    return found


async def assess(ctx: PluginContext[RetentionSettings], fleet: Fleet) -> dict[str, int]:
    """Tonight's states for the customers of the fleet pass; returns counts per state.

    The owners the fleet pass read are known people (not erased, not the shop); only a
    past owner met in a car's history is looked up. A customer whose state, reasons and
    last visit are unchanged - most of them, most nights - only has ``computed_at`` moved,
    in one ``UPDATE`` for the chunk."""
    today = local_day(ctx, ctx.now())
    complaints = await open_complaints(ctx)
    customers = sorted(set(fleet.visits) | fleet.owners)
    counts: dict[str, int] = {}
    for i in range(0, len(customers), 500):
        chunk = customers[i : i + 500]
        strangers = [c for c in chunk if c not in fleet.owners]
        shop = {c.id for c in (await get_customers(ctx, strangers)).values() if c.internal}
        existing = {
            s.customer_id: s
            for s in (
                await ctx.session.scalars(
                    select(CustomerState).where(CustomerState.customer_id.in_(chunk))
                )
            ).all()
        }
        unchanged: list[uuid.UUID] = []
        news = News()
        for customer_id in chunk:
            if customer_id in shop:
                continue  # the tenant's internal customer neither churns nor is won back
            visits = sorted(fleet.visits.get(customer_id, []))
            found = classify(
                ctx.settings,
                [local_day(ctx, at) for at, _ in visits],
                today,
                missed=fleet.missed.get(customer_id, 0),
                complaint_open_since=complaints.get(customer_id),
            )
            if found is None:
                continue
            state, reasons = found
            counts[state] = counts.get(state, 0) + 1
            last_at, last_store = visits[-1]
            row = existing.get(customer_id)
            if row is not None and (
                row.state,
                list(row.risk_reasons),
                row.last_visit_at,
                row.last_store_id,
            ) == (state, reasons, last_at, last_store):
                unchanged.append(customer_id)
                continue
            _record(ctx, row, customer_id, state, reasons, last_at, last_store, news)
        if unchanged:
            await ctx.session.execute(
                update(CustomerState)
                .where(CustomerState.customer_id.in_(unchanged))
                .values(computed_at=ctx.now())
            )
        await _announce(ctx, news)
    await ctx.session.flush()
    return counts


@dataclass
class News:
    """What a chunk's changes of state call for once its rows are written: events and
    recalls. Held back so the chunk's new rows go out in one flush - an event emitted
    between two of them flushed the session each time, a statement per row - and the
    events of a kind in one more (``emit_many``, SDK 1.7)."""

    events: list[tuple[str, CustomerStateChanged]] = field(default_factory=list)
    recalls: list[Recall] = field(default_factory=list)


async def _announce(ctx: PluginContext[RetentionSettings], news: News) -> None:
    await ctx.session.flush()
    await open_recalls(ctx, news.recalls)
    for name in (AT_RISK.name, DORMANT.name):
        payloads = [payload for kind, payload in news.events if kind == name]
        if payloads:
            await ctx.emit_many(name, payloads)
    news.events.clear()
    news.recalls.clear()


ABSENT = ("dormant", "lost")


def changed(
    ctx: PluginContext,
    customer_id: uuid.UUID,
    before: str | None,
    state: str,
    reasons: list[str],
    at: dt.datetime,
) -> None:
    """A line of the customer's state history (``retention_state_changes``)."""
    ctx.session.add(
        StateChange(customer_id=customer_id, from_state=before, state=state, reasons=reasons, at=at)
    )


def _record(
    ctx: PluginContext[RetentionSettings],
    row: CustomerState | None,
    customer_id: uuid.UUID,
    state: str,
    reasons: list[str],
    last_at: dt.datetime,
    last_store: uuid.UUID,
    news: News,
) -> None:
    now = ctx.now()
    before = None if row is None else row.state
    if row is None:
        row = CustomerState(customer_id=customer_id, state=state, state_since=now)
        ctx.session.add(row)
    elif row.state != state:
        row.state, row.state_since = state, now
    row.risk_reasons, row.computed_at = reasons, now
    row.last_visit_at, row.last_store_id = last_at, last_store
    if state == before:
        return
    why = reasons if state == "at_risk" else ["no_visit"] if state in ABSENT else ["no_risk"]
    changed(ctx, customer_id, before, state, why, now)
    payload = CustomerStateChanged(customer_id=customer_id, store_id=last_store)
    if state == "at_risk":
        news.events.append((AT_RISK.name, payload))
    elif state == "dormant":
        news.events.append((DORMANT.name, payload))
        news.recalls.append(Recall(customer_id, last_store, since=row.state_since))


async def visited(
    ctx: PluginContext, customer_id: uuid.UUID, store_id: uuid.UUID, at: dt.datetime
) -> None:
    """A visit makes a customer active at once (no need to wait for the night)."""
    row = (
        await ctx.session.scalars(
            select(CustomerState).where(CustomerState.customer_id == customer_id)
        )
    ).one_or_none()
    if row is None or at <= row.computed_at:
        return  # a late event of a visit the last assessment already counted
    if row.state != "active":
        changed(ctx, customer_id, row.state, "active", ["visit"], at)
        row.state, row.state_since, row.risk_reasons = "active", at, []
    row.last_visit_at, row.last_store_id, row.computed_at = at, store_id, at
