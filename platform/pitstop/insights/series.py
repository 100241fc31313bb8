"""Time series for charts: one KPI per day, week or month of the tenant's calendar.

Each point is the KPI board's own formula for the bucket's local days, read from the same
rollups (the daily rollups, the visit links), so a chart and the board can never disagree:
the daily revenues of March add up to March's board revenue. The additive metrics
(revenue, orders, new customers) are one aggregate statement by day over the whole period,
summed into the buckets; the repurchase rate is one statement per bucket. A series is
capped at :data:`MAX_POINTS` buckets so a request's cost is bounded. Weeks start on
Monday; the first and last bucket are clipped to ``from`` and ``to``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.errors import Unprocessable
from pitstop.insights import daily, links
from pitstop.insights.figures import Scope
from pitstop.insights.kpis import rate
from pitstop.tenancy.periods import Period, add_months

Metric = Literal["revenue", "orders", "new_customers", "repurchase_rate"]
Interval = Literal["day", "week", "month"]
MAX_POINTS = 120


class Point(msgspec.Struct, kw_only=True):
    start: dt.date = msgspec.field(name="from")
    end: dt.date = msgspec.field(name="to")
    value: float | None
    """A JSON number: whole for revenue (fen) and counts, a fraction for rates. One schema
    type (``number``), since ``int | float`` would document a ``oneOf`` that 0 matches twice."""


class Series(msgspec.Struct, kw_only=True):
    metric: str
    interval: str
    timezone: str
    points: list[Point]


def buckets(period: Period, interval: Interval) -> Iterator[Period]:
    """The period cut into local days, Monday weeks or calendar months (ends clipped)."""
    start = period.first
    while start <= period.last:
        if interval == "day":
            end = start
        elif interval == "week":
            end = start + dt.timedelta(days=6 - start.weekday())
        else:
            end = add_months(start.replace(day=1), 1) - dt.timedelta(days=1)
        yield Period(start, min(end, period.last), period.timezone)
        start = min(end, period.last) + dt.timedelta(days=1)


async def _values(
    session: AsyncSession, metric: Metric, cut: list[Period], period: Period, scope: Scope
) -> list[float | None]:
    """Each bucket's value. The additive metrics are the daily rollups' days summed into
    the buckets (one statement for the series; a bucket without a visit counts no revenue
    or order, as :func:`daily.totals` has it); the repurchase rate, which is not additive,
    is asked bucket by bucket."""
    if metric == "repurchase_rate":
        return [await _repurchase(session, bucket, scope) for bucket in cut]
    days = await daily.by_day(session, period, scope)
    values: list[float | None] = []
    for bucket in cut:
        revenue = orders = visits = new = 0
        for day in _days(bucket):
            r, o, v, n = days.get(day, (0, 0, 0, 0))
            revenue, orders, visits, new = revenue + r, orders + o, visits + v, new + n
        if metric == "new_customers":
            values.append(new)
        else:
            values.append(0 if not visits else revenue if metric == "revenue" else orders)
    return values


def _days(bucket: Period) -> Iterator[dt.date]:
    for n in range((bucket.last - bucket.first).days + 1):
        yield bucket.first + dt.timedelta(days=n)


async def _repurchase(session: AsyncSession, bucket: Period, scope: Scope) -> float | None:
    visited, repurchased = (await links.repurchase(session, bucket, scope, False)).get(None, (0, 0))
    return rate(repurchased, visited)


async def series(
    session: AsyncSession, metric: Metric, interval: Interval, period: Period, scope: Scope
) -> Series:
    cut = list(islice(buckets(period, interval), MAX_POINTS + 1))
    if len(cut) > MAX_POINTS:
        raise Unprocessable.field(
            "interval", f"more than {MAX_POINTS} points: use a longer interval or fewer days"
        )
    values = await _values(session, metric, cut, period, scope)
    return Series(
        metric=metric,
        interval=interval,
        timezone=period.timezone,
        points=[
            Point(start=b.first, end=b.last, value=value)
            for b, value in zip(cut, values, strict=True)
        ],
    )
