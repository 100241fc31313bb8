"""The board's additive figures read from the daily rollups (``pitstop.crm.rollups``).

Revenue, orders, visits and new customers add up across days and stores, so a period's
figure is the sum of its days' rows: the statement reads stores x days x sources rows,
however many orders the chain has. The same words as :mod:`pitstop.insights.figures`,
which computes them from the orders; tests/insights/test_rollups.py holds the two equal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.rollups import StoreDay
from pitstop.db.tenant_context import current_tenant_id
from pitstop.insights.figures import Key, Scope
from pitstop.tenancy.periods import Period

d = StoreDay


def _within(period: Period, scope: Scope) -> list[Any]:
    conditions = [d.tenant_id == current_tenant_id(), d.day >= period.first, d.day <= period.last]
    if scope is not None:
        conditions.append(d.store_id.in_(scope))
    return conditions


async def totals(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int, int]]:
    """``(revenue, orders, visits)`` in the period."""
    keys = [d.store_id] if by_store else []
    statement = (
        select(
            *keys,
            func.coalesce(func.sum(d.revenue), 0),
            func.coalesce(func.sum(d.orders), 0),
            func.coalesce(func.sum(d.visits), 0),
        )
        .where(*_within(period, scope))
        .group_by(*keys)
    )
    result: dict[Key, tuple[int, int, int]] = {}
    for row in (await session.execute(statement)).all():
        key, values = (row[0], row[1:]) if by_store else (None, row)
        if values[2]:
            result[key] = (int(values[0]), int(values[1]), int(values[2]))
    return result


async def new_customers(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, dict[str, int]]:
    """New customers by source, counted at the store of their first visit."""
    keys = [d.store_id] if by_store else []
    statement = (
        select(*keys, d.source, func.sum(d.new_customers))
        .where(*_within(period, scope))
        .group_by(*keys, d.source)
        .having(func.sum(d.new_customers) > 0)
    )
    result: dict[Key, dict[str, int]] = {}
    for row in (await session.execute(statement)).all():
        key, source, count = (row[0], row[1], row[2]) if by_store else (None, row[0], row[1])
        result.setdefault(key, {})[str(source)] = int(count)
    return result


async def by_day(
    session: AsyncSession, period: Period, scope: Scope
) -> dict[dt.date, tuple[int, int, int, int]]:
    """``(revenue, orders, visits, new customers)`` of each day of the period that has rows,
    the scope's stores together: one statement for a whole series, which sums the days
    into its buckets however many buckets it has."""
    statement = (
        select(
            d.day,
            func.coalesce(func.sum(d.revenue), 0),
            func.coalesce(func.sum(d.orders), 0),
            func.coalesce(func.sum(d.visits), 0),
            func.coalesce(func.sum(d.new_customers), 0),
        )
        .where(*_within(period, scope))
        .group_by(d.day)
    )
    return {
        row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
        for row in (await session.execute(statement)).all()
    }
