"""The board's distinct-customer figures summed from the visit links (``pitstop.crm.visit_links``).

Each customer counts once because each figure picks one visit per customer by its
neighbours' days (``P`` the period's first day, ``L`` its last, ``W`` the first day of the
12 months ending with it, ``B`` of the 24 months):

* ``unique_customers`` - visits in ``[P, L]`` whose next visit is after ``L``: the
  customer's last visit of the period;
* ``repurchase`` - of those, the ones whose previous visit is on or after ``W``: the
  customer's last two visits up to ``L`` both fall in the 12 months, so they have two
  (it answers both counts in one statement, so the board reads its unique customers there);
* ``retention`` - depends on ``L`` only, so it is kept as running sums by day
  (``pitstop.crm.retention_days``): the sum of the rows up to ``L``.

Chain rows serve the whole chain and store rows one store; a set of several stores (a
manager of two stores, taken together) is served by its store group's links
(:mod:`pitstop.crm.store_groups`), retention included; only a set first held today, whose
group the night has not built yet, is counted from the orders by
:mod:`pitstop.insights.figures`, the reference these sums are tested against
(tests/insights/test_rollups.py, tests/insights/test_store_groups.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm import store_groups
from pitstop.crm.retention_days import CHAIN, RetentionDay
from pitstop.crm.store_groups import GroupLink
from pitstop.crm.visit_links import VisitLink
from pitstop.db.tenant_context import current_tenant_id
from pitstop.insights import figures
from pitstop.insights.figures import Key, Scope
from pitstop.tenancy.periods import Period, add_months

v = VisitLink


Links = type[VisitLink] | type[GroupLink]


async def _rows(
    session: AsyncSession, scope: Scope, by_store: bool
) -> tuple[Links, list[ColumnElement[bool]]] | None:
    """The link rows that answer for the scope, or None when none do yet (a store set
    first held today: its group is built at night)."""
    if by_store or (scope is not None and len(scope) == 1):
        conditions = [v.tenant_id == current_tenant_id(), v.chain.is_(False)]
        if scope is not None:
            conditions.append(v.store_id.in_(scope))
        return v, conditions
    if scope is None:
        return v, [v.tenant_id == current_tenant_id(), v.chain.is_(True)]
    group = await store_groups.built(session, scope)
    if group is None:
        return None
    g = GroupLink
    return g, [g.tenant_id == current_tenant_id(), g.group_id == group]


def _months_back(period: Period, months: int) -> dt.date:
    """The first local day of the ``months`` ending with the period (as
    :meth:`Period.months_before_end`, as a day)."""
    return add_months(period.last + dt.timedelta(days=1), -months)


def _count(t: Links, condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(t.visits).filter(condition), 0)


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
    rows = await _rows(session, scope, by_store)
    if rows is None:
        return await figures.unique_customers(session, period, scope, by_store)
    t, conditions = rows
    last = t.next_day > period.last
    within = [*conditions, t.day >= period.first, t.day <= period.last]
    sums = await _sums(session, within, by_store, _count(t, last))
    return {key: row[0] for key, row in sums.items()}


async def repurchase(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int]]:
    """``(customers with a visit in the period, of them with >= 2 visits in the 12 months
    ending with it)``."""
    rows = await _rows(session, scope, by_store)
    if rows is None:
        return await figures.repurchase(session, period, scope, by_store)
    t, conditions = rows
    last = t.next_day > period.last
    again = t.previous_day >= _months_back(period, 12)
    within = [*conditions, t.day >= period.first, t.day <= period.last]
    sums = await _sums(session, within, by_store, _count(t, last), _count(t, last & again))
    return {key: (row[0], row[1]) for key, row in sums.items()}


async def retention(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int]]:
    """``(customers with a visit in the 12 months before the last 12, of them with a visit
    in the last 12)``: the running sums of ``retention_days`` up to the period's last day."""
    if not by_store and scope is not None and len(scope) > 1:
        return await _group_retention(session, period, scope)
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


async def _group_retention(
    session: AsyncSession, period: Period, scope: Sequence[uuid.UUID]
) -> dict[Key, tuple[int, int]]:
    """Retention for several stores together, from their group's links: a customer is seen
    by their last visit in ``[B, W)`` (its next one on or after ``W``), and back when that
    next one is on or before ``L``. Reads up to a year of the group's rows."""
    rows = await _rows(session, scope, False)
    if rows is None:
        return await figures.retention(session, period, scope, False)
    t, conditions = rows
    start, middle = _months_back(period, 24), _months_back(period, 12)
    seen = t.next_day >= middle
    within = [*conditions, t.day >= start, t.day < middle]
    sums = await _sums(
        session, within, False, _count(t, seen), _count(t, seen & (t.next_day <= period.last))
    )
    return {key: (row[0], row[1]) for key, row in sums.items()}
