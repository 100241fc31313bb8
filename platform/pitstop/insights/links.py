"""The board's distinct-customer figures summed from the visit links (``pitstop.crm.visit_links``).

Each customer counts once because each figure picks one visit per customer by its
neighbours' days (``P`` the period's first day, ``L`` its last, ``W`` the first day of the
12 months ending with it, ``B`` of the 24 months):

* ``unique_customers`` - visits in ``[P, L]`` whose next visit is after ``L``: the
  customer's last visit of the period;
* ``repurchase`` - of those, the ones whose previous visit is on or after ``W``: the
  customer's last two visits up to ``L`` both fall in the 12 months, so they have two;
* ``retention`` - depends on ``L`` only, so it is kept as running sums by day
  (``pitstop.crm.retention_days``): the sum of the rows up to ``L``.

Chain rows serve the whole chain and store rows one store; a set of several stores (a
manager of two stores, taken together) has no rows of its own and is counted from the
orders by :mod:`pitstop.insights.figures`, the reference these sums are tested against
(tests/insights/test_rollups.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.retention_days import CHAIN, RetentionDay
from pitstop.crm.visit_links import VisitLink
from pitstop.db.tenant_context import current_tenant_id
from pitstop.insights import figures
from pitstop.insights.figures import Key, Scope
from pitstop.tenancy.periods import Period, add_months

v = VisitLink


def _rows(scope: Scope, by_store: bool) -> list[ColumnElement[bool]] | None:
    """The rows that answer for the scope, or None when no scope of rows does."""
    conditions = [v.tenant_id == current_tenant_id()]
    if by_store or (scope is not None and len(scope) == 1):
        conditions.append(v.chain.is_(False))
        if scope is not None:
            conditions.append(v.store_id.in_(scope))
        return conditions
    return None if scope is not None else [*conditions, v.chain.is_(True)]


def _months_back(period: Period, months: int) -> dt.date:
    """The first local day of the ``months`` ending with the period (as
    :meth:`Period.months_before_end`, as a day)."""
    return add_months(period.last + dt.timedelta(days=1), -months)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(v.visits).filter(condition), 0)


async def _sums(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    by_store: bool,
    *counts: Any,
) -> dict[Key, tuple[int, ...]]:
    keys = [v.store_id] if by_store else []
    statement = select(*keys, *counts).where(*conditions).group_by(*keys)
    result: dict[Key, tuple[int, ...]] = {}
    for row in (await session.execute(statement)).all():
        key, values = (row[0], row[1:]) if by_store else (None, tuple(row))
        if any(values):
            result[key] = tuple(int(value) for value in values)
    return result


async def unique_customers(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, int]:
    conditions = _rows(scope, by_store)
    if conditions is None:
        return await figures.unique_customers(session, period, scope, by_store)
    last = v.next_day > period.last
    within = [*conditions, v.day >= period.first, v.day <= period.last]
    return {
        key: row[0] for key, row in (await _sums(session, within, by_store, _count(last))).items()
    }


async def repurchase(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int]]:
    """``(customers with a visit in the period, of them with >= 2 visits in the 12 months
    ending with it)``."""
    conditions = _rows(scope, by_store)
    if conditions is None:
        return await figures.repurchase(session, period, scope, by_store)
    last = v.next_day > period.last
    again = v.previous_day >= _months_back(period, 12)
    within = [*conditions, v.day >= period.first, v.day <= period.last]
    sums = await _sums(session, within, by_store, _count(last), _count(last & again))
    return {key: (row[0], row[1]) for key, row in sums.items()}


async def retention(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int]]:
    """``(customers with a visit in the 12 months before the last 12, of them with a visit
    in the last 12)``: the running sums of ``retention_days`` up to the period's last day."""
    if not by_store and scope is not None and len(scope) > 1:
        return await figures.retention(session, period, scope, by_store)
    r = RetentionDay
    conditions = [r.tenant_id == current_tenant_id(), r.day <= period.last]
    if by_store:
        conditions.append(r.store_id != CHAIN)
        if scope is not None:
            conditions.append(r.store_id.in_(scope))
    else:
        conditions.append(r.store_id == (CHAIN if scope is None else scope[0]))
    keys = [r.store_id] if by_store else []
    statement = (
        select(*keys, func.coalesce(func.sum(r.seen), 0), func.coalesce(func.sum(r.back), 0))
        .where(*conditions)
        .group_by(*keys)
    )
    result: dict[Key, tuple[int, int]] = {}
    for row in (await session.execute(statement)).all():
        key, values = (row[0], row[1:]) if by_store else (None, tuple(row))
        if any(values):
            result[key] = (int(values[0]), int(values[1]))
    return result
