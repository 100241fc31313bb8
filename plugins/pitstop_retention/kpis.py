"""Retention KPIs over [from, to), in SQL aggregates on the plugin's own tables.

Reminders sent and their conversion to a visit; on-time maintenance (visits within 30 days
or 1,000 km of the due they answered); customers at risk and dormant now, and how many
became so in the window (from the state history: the trend); win-back (recalls followed
by a visit); follow-up calls completed; CSI mean and NPS (promoters 9-10 less detractors
0-6, in points of 100); callbacks first reached by their due time. A rate with nothing to
divide is None.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import case, func, select

from pitstop.sdk import KpiTile, Period, PluginContext, Unprocessable, checked_instant

from .api import READ, checked_store
from .models import CustomerState, Reminder, StateChange, Survey, Task, Visit

WINDOW = dt.timedelta(days=90)


def _rate(part: int | None, whole: int | None) -> float | None:
    return None if not whole else round((part or 0) / whole, 4)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def _one(ctx: PluginContext, statement: Any) -> Any:
    return (await ctx.session.execute(statement)).one()


async def kpis(
    ctx: PluginContext,
    start: dt.datetime,
    end: dt.datetime,
    store_id: uuid.UUID | None,
    stores: Collection[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """``stores`` narrows the figures to a store-scoped reader's stores when no
    ``store_id`` is named: a store manager's board is their stores', never the chain's."""
    scope = [store_id] if store_id is not None else stores

    def where(model: Any, column: Any) -> list[Any]:
        found = [column >= start, column < end]
        if scope is not None:
            found.append(model.store_id.in_(scope))
        return found

    sent, converted = await _one(
        ctx,
        select(func.count(), _count(Reminder.converted_at.is_not(None))).where(
            Reminder.status == "sent", *where(Reminder, Reminder.sent_at)
        ),
    )
    judged, on_time = await _one(
        ctx,
        select(_count(Visit.on_time.is_not(None)), _count(Visit.on_time.is_(True))).where(
            *where(Visit, Visit.at)
        ),
    )
    recalls, won = await _one(
        ctx,
        select(func.count(), _count(Task.won_back_at.is_not(None))).where(
            Task.kind == "recall", *where(Task, Task.created_at)
        ),
    )
    calls, called = await _one(
        ctx,
        select(
            func.count(),
            _count(Task.outcome.in_(("reached", "booked", "declined", "do_not_contact"))),
        ).where(Task.kind == "follow_up", *where(Task, Task.created_at)),
    )
    callbacks, in_time = await _one(
        ctx,
        select(func.count(), _count(Task.first_contact_at <= Task.due_at)).where(
            Task.kind == "callback", *where(Task, Task.created_at)
        ),
    )
    answered, csi, with_nps, promoters, detractors = await _one(
        ctx,
        select(
            func.count(),
            func.avg(Survey.csi),
            _count(Survey.nps.is_not(None)),
            _count(Survey.nps >= 9),
            _count(Survey.nps <= 6),
        ).where(*where(Survey, Survey.answered_at)),
    )
    states = await _states(ctx, start, end, scope)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "store_id": None if store_id is None else str(store_id),
        "reminders_sent": sent,
        "reminder_conversion": _rate(converted, sent),
        "on_time_maintenance": _rate(on_time, judged),
        **states,
        "recalls": recalls,
        "win_back_rate": _rate(won, recalls),
        "follow_up_calls": calls,
        "follow_up_completion": _rate(called, calls),
        "surveys_answered": answered,
        "csi_mean": None if csi is None else round(float(csi), 2),
        "nps": None if not with_nps else round(100 * (promoters - detractors) / with_nps, 1),
        "callbacks": callbacks,
        "callbacks_in_time": _rate(in_time, callbacks),
    }


def _became(start: dt.datetime, end: dt.datetime, scope: Collection[uuid.UUID] | None) -> Any:
    """Customers who became at risk, and dormant, in the window, from the state history: a
    customer who slid and came back within it still counts (by their last store)."""

    def who(state: str) -> Any:
        return func.count(
            func.distinct(case((StateChange.state == state, StateChange.customer_id)))
        )

    statement = select(who("at_risk"), who("dormant")).where(
        StateChange.at >= start, StateChange.at < end
    )
    if scope is not None:
        statement = statement.join(
            CustomerState,
            (CustomerState.tenant_id == StateChange.tenant_id)
            & (CustomerState.customer_id == StateChange.customer_id),
        ).where(CustomerState.last_store_id.in_(scope))
    return statement


async def _states(
    ctx: PluginContext, start: dt.datetime, end: dt.datetime, scope: Collection[uuid.UUID] | None
) -> dict[str, int]:
    statement = select(
        _count(CustomerState.state == "at_risk"), _count(CustomerState.state == "dormant")
    )
    if scope is not None:
        statement = statement.where(CustomerState.last_store_id.in_(scope))
    at_risk, dormant = await _one(ctx, statement)
    new_risk, new_dormant = await _one(ctx, _became(start, end, scope))
    return {
        "at_risk": int(at_risk),
        "dormant": int(dormant),
        "became_at_risk": int(new_risk),
        "became_dormant": int(new_dormant),
    }


class KpisController(Controller):
    path = "/kpis"

    @get("/", opt=READ)
    async def report(
        self,
        ctx: NamedDependency[PluginContext],
        start: Annotated[dt.datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.datetime | None, QueryParameter(name="to")] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
    ) -> dict[str, Any]:
        """The window [from, to) (default: the last 90 days up to this instant)."""
        end = _aware(end, "to") or ctx.now() + dt.timedelta(microseconds=1)
        start = _aware(start, "from") or end - WINDOW
        if start >= end:
            raise Unprocessable.field("from", "must be before to")
        principal = ctx.principal
        stores = None if principal is None else principal.store_ids
        return await kpis(ctx, start, end, await checked_store(ctx, store_id), stores)


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Unprocessable.field(field, "needs a time zone, e.g. 2026-11-01T00:00:00+08:00")
    return checked_instant(value, field)


async def tile(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    """The same figures on HQ's KPI board, for the board's days. Like the route, a caller
    scoped to stores sees one store's figures: theirs when they have one, else none."""
    principal = ctx.principal
    if principal is not None:
        if not principal.can("retention:read"):
            return None
        if store_id is None and principal.store_ids is not None:
            if len(principal.store_ids) != 1:
                return None
            store_id = next(iter(principal.store_ids))
    report = await kpis(ctx, period.start_at, period.end_at, store_id)
    figures = {k: v for k, v in report.items() if k not in ("from", "to", "store_id")}
    return KpiTile(title="Follow-ups and recalls", figures=figures)
