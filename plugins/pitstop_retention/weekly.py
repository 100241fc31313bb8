"""The weekly churn-state series: ``GET /api/v1/retention/states/weekly``.

How many customers were active, at risk, dormant and lost at the end of each week, read
from the state history (``retention_state_changes``, retention_0003), so a chart shows the
slide into dormancy and the win-backs week by week, not only tonight's counts. A customer's
state at an instant is their latest change before it; each change holds from its ``at`` to
the next one's (``lead`` over the customer's changes), and one grouped scan of the history
counts every week at once (a ``SUM(CASE ...)`` column per week), in the database.

Weeks are the tenant's: Monday to Sunday in its zone, a week's figure taken at the
following Monday's local midnight (for the running week: the changes so far). A store
filter, or a store-scoped reader's own stores, counts the customers whose last visit was
at those stores (their ``last_store_id`` now, as the KPIs and the recall worklist assign
them); another tenant's store, or another store of a store-scoped reader, is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import and_, case, func, or_, select

from pitstop.sdk import PluginContext, Unprocessable

from .api import READ, checked_store
from .models import CustomerState, StateChange

STATES = ("active", "at_risk", "dormant", "lost")
MAX_WEEKS = 104
DEFAULT_WEEKS = 12
WEEK = dt.timedelta(days=7)


class WeekStates(msgspec.Struct):
    week: dt.date
    """The week's Monday (local)."""
    active: int
    at_risk: int
    dormant: int
    lost: int


class StateSeries(msgspec.Struct):
    store_id: uuid.UUID | None
    weeks: list[WeekStates]


def mondays(first: dt.date, last: dt.date) -> list[dt.date]:
    """The Mondays of the weeks from ``first``'s to ``last``'s, at most :data:`MAX_WEEKS`."""
    if first > last:
        raise Unprocessable.field("from", "must be on or before to")
    monday = first - dt.timedelta(days=first.weekday())
    found = []
    while monday <= last:
        found.append(monday)
        monday += WEEK
    if len(found) > MAX_WEEKS:
        raise Unprocessable.field("from", f"at most {MAX_WEEKS} weeks at a time")
    return found


async def weekly_states(
    ctx: PluginContext,
    weeks: list[dt.date],
    scope: Collection[uuid.UUID] | None,
) -> list[WeekStates]:
    """Each week's counts by state at its end, one statement over the history."""
    zone = ZoneInfo(ctx.timezone)
    ends = [
        dt.datetime.combine(monday + WEEK, dt.time(), tzinfo=zone).astimezone(dt.UTC)
        for monday in weeks
    ]
    c = StateChange
    until = func.lead(c.at, type_=c.at.type).over(partition_by=c.customer_id, order_by=(c.at, c.id))
    history = select(c.state, c.at, until.label("until"))
    if scope is not None:
        history = history.join(
            CustomerState,
            (CustomerState.tenant_id == c.tenant_id) & (CustomerState.customer_id == c.customer_id),
        ).where(CustomerState.last_store_id.in_(sorted(scope)))
    h = history.subquery("history")
    columns: list[Any] = [
        func.coalesce(
            func.sum(
                case((and_(h.c.at < end, or_(h.c.until.is_(None), h.c.until >= end)), 1), else_=0)
            ),
            0,
        )
        for end in ends
    ]
    rows = (await ctx.session.execute(select(h.c.state, *columns).group_by(h.c.state))).all()
    counts = {row[0]: [int(n) for n in row[1:]] for row in rows}
    zeros = [0] * len(weeks)
    return [
        WeekStates(monday, *(counts.get(state, zeros)[i] for state in STATES))
        for i, monday in enumerate(weeks)
    ]


class StatesWeeklyController(Controller):
    path = "/states/weekly"

    @get("/", opt=READ)
    async def series(
        self,
        ctx: NamedDependency[PluginContext],
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
    ) -> StateSeries:
        """Customers by retention state at the end of each week from ``from``'s week to
        ``to``'s (local dates; by default the :data:`DEFAULT_WEEKS` weeks up to today's), of
        a store or of the caller's stores."""
        last = last or ctx.now().astimezone(ZoneInfo(ctx.timezone)).date()
        first = first or last - (DEFAULT_WEEKS - 1) * WEEK
        weeks = mondays(first, last)
        store = await checked_store(ctx, store_id)
        principal = ctx.principal
        scope = [store] if store is not None else None
        if scope is None and principal is not None and principal.store_ids is not None:
            scope = sorted(principal.store_ids)
        return StateSeries(store, await weekly_states(ctx, weeks, scope))
