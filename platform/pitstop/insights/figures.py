"""The KPI board's figures, each one aggregate statement over service orders.

The board itself reads the rollups (:mod:`pitstop.insights.daily`, :mod:`pitstop.insights.links`);
these are the formulas' reference, which tests/insights/test_rollups.py holds the rollups
equal to, and the answer for a set of several stores taken together (no rollup row belongs
to such a set).

Every figure is a ``GROUP BY`` in the database - by store, or not at all for the chain -
so its cost does not grow with the rows a Python loop would otherwise read, and the chain
figure is counted, never summed from the stores' (a customer who visited two stores is one
customer of the chain). Divisions and rounding happen afterwards, on integers, in
:mod:`pitstop.insights.kpis`, so SQLite and PostgreSQL give identical answers.

Words, as in docs/insights.md: a *visit* is a service order that was completed (refunded
ones included: the car came in and was worked on), dated by ``completed_at``; *revenue* is
the total of the orders still ``completed`` (a refund gives the money back). ``scope`` is
the store ids a figure may count (None: every store).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pitstop.crm.internal import not_internal
from pitstop.crm.models import Customer, OrderStatus, ServiceOrder
from pitstop.db.tenant_context import current_tenant_id
from pitstop.tenancy.periods import Period

Scope = Sequence[uuid.UUID] | None
Key = uuid.UUID | None
"""A store's id, or None for the chain."""
VISITS = (OrderStatus.completed, OrderStatus.refunded)
o = ServiceOrder


def visits_between(start: dt.datetime, end: dt.datetime, scope: Scope) -> list[ColumnElement[bool]]:
    """Visits in ``[start, end)`` at the stores in scope. The tenant is named explicitly
    (the walls would add it too): it is what lets PostgreSQL range-scan the
    ``(tenant_id, [store_id,] completed_at)`` indexes instead of filtering every tenant's
    rows through the row-level-security policy. The internal customer's orders (the shop's
    own reconditioning, :mod:`pitstop.crm.internal`) are no visits: nobody came."""
    conditions = [
        o.tenant_id == current_tenant_id(),
        not_internal(o.customer_id),
        o.status.in_(VISITS),
        o.completed_at >= start,
        o.completed_at < end,
    ]
    if scope is not None:
        conditions.append(o.store_id.in_(scope))
    return conditions


def _keys(by_store: bool) -> list[Any]:
    return [o.store_id] if by_store else []


async def _keyed(session: AsyncSession, statement: Select[Any], by_store: bool) -> dict[Key, Any]:
    rows = (await session.execute(statement)).all()
    if by_store:
        return {row[0]: tuple(row[1:]) for row in rows}
    return {None: tuple(rows[0])} if rows else {}


async def activity(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int, int, int]]:
    """``(revenue, orders, visits, unique_customers)`` in the period."""
    completed = o.status == OrderStatus.completed
    statement = (
        select(
            *_keys(by_store),
            func.coalesce(func.sum(o.total).filter(completed), 0),
            func.count().filter(completed),
            func.count(),
            func.count(distinct(o.customer_id)),
        )
        .where(*visits_between(period.start_at, period.end_at, scope))
        .group_by(*_keys(by_store))
    )
    rows = await _keyed(session, statement, by_store)
    return {key: tuple(int(v or 0) for v in row) for key, row in rows.items()}  # type: ignore[misc]


async def unique_customers(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, int]:
    """Distinct customers with a visit in the period: not additive across days (a customer
    seen twice is one), so counted from the orders over the period index."""
    statement = (
        select(*_keys(by_store), func.count(distinct(o.customer_id)))
        .where(*visits_between(period.start_at, period.end_at, scope))
        .group_by(*_keys(by_store))
    )
    rows = await _keyed(session, statement, by_store)
    return {key: int(row[0]) for key, row in rows.items()}


async def new_customers(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, dict[str, int]]:
    """Customers whose first visit to the chain falls in the period, by ``source``, counted
    at the store of that first visit (so the stores' counts add up to the chain's)."""
    earlier = aliased(ServiceOrder)
    came_before = exists().where(
        earlier.tenant_id == o.tenant_id,
        earlier.customer_id == o.customer_id,
        earlier.status.in_(VISITS),
        or_(
            earlier.completed_at < o.completed_at,
            and_(earlier.completed_at == o.completed_at, earlier.id < o.id),
        ),
    )
    statement = (
        select(*_keys(by_store), Customer.source, func.count())
        .select_from(o)
        .join(Customer, and_(Customer.tenant_id == o.tenant_id, Customer.id == o.customer_id))
        .where(*visits_between(period.start_at, period.end_at, scope), ~came_before)
        .group_by(*_keys(by_store), Customer.source)
    )
    result: dict[Key, dict[str, int]] = {}
    for row in (await session.execute(statement)).all():
        key, source, count = (row[0], row[1], row[2]) if by_store else (None, row[0], row[1])
        result.setdefault(key, {})[str(source)] = int(count)
    return result


def _per_customer(
    start: dt.datetime, end: dt.datetime, scope: Scope, by_store: bool, **counts: Any
) -> Any:
    """One scan of the visits in ``[start, end)``, grouped by (store,) customer, with
    ``counts`` as named ``count() FILTER (...)`` columns."""
    return (
        select(
            *_keys(by_store),
            o.customer_id,
            *(func.count().filter(condition).label(name) for name, condition in counts.items()),
        )
        .where(*visits_between(start, end, scope))
        .group_by(*_keys(by_store), o.customer_id)
        .subquery("per_customer")
    )


async def _customers_with(
    session: AsyncSession, per_customer: Any, by_store: bool, whole: Any, part: Any
) -> dict[Key, tuple[int, int]]:
    """``(customers with whole, of them with part)`` from a per-customer subquery. Joined to
    ``Customer`` so the statement stays an ORM one, inside the tenant walls."""
    keys = [per_customer.c.store_id] if by_store else []
    statement = (
        select(*keys, func.count().filter(whole), func.count().filter(whole, part))
        .select_from(Customer)
        .join(per_customer, per_customer.c.customer_id == Customer.id)
        .where(Customer.tenant_id == current_tenant_id())
        .group_by(*keys)
    )
    rows = await _keyed(session, statement, by_store)
    return {key: (int(row[0]), int(row[1])) for key, row in rows.items()}


def _another_visit(
    start: dt.datetime, end: dt.datetime, scope: Scope, by_store: bool
) -> ColumnElement[bool]:
    """The same customer (at the same store, per store) has a visit in ``[start, end)``
    other than the order in hand. Correlated ``EXISTS`` on ``(tenant_id, customer_id)``:
    the ORM keeps it behind the tenant wall, where a subquery in ``FROM`` would not be."""
    other = aliased(ServiceOrder)
    conditions = [
        other.tenant_id == o.tenant_id,
        other.customer_id == o.customer_id,
        other.id != o.id,
        other.status.in_(VISITS),
        other.completed_at >= start,
        other.completed_at < end,
    ]
    if scope is not None:
        conditions.append(other.store_id.in_(scope))
    if by_store:
        conditions.append(other.store_id == o.store_id)
    return exists().where(*conditions)


async def repurchase(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int]]:
    """``(customers with a visit in the period, of them with >= 2 visits in the 12 months
    ending with the period)``: a customer repurchased when one of their visits in the
    period and in those 12 months has another visit beside it in the 12 months."""
    window = period.months_before_end(12)
    customers = func.count(distinct(o.customer_id))
    statement = (
        select(
            *_keys(by_store),
            customers,
            customers.filter(
                o.completed_at >= window,
                _another_visit(window, period.end_at, scope, by_store),
            ),
        )
        .where(*visits_between(period.start_at, period.end_at, scope))
        .group_by(*_keys(by_store))
    )
    rows = await _keyed(session, statement, by_store)
    return {key: (int(row[0]), int(row[1])) for key, row in rows.items()}


async def retention(
    session: AsyncSession, period: Period, scope: Scope, by_store: bool
) -> dict[Key, tuple[int, int]]:
    """``(customers with a visit in the 12 months before the last 12, of them with a visit
    in the last 12 months)``, the months ending with the period: one grouped scan."""
    start, middle = period.months_before_end(24), period.months_before_end(12)
    per_customer = _per_customer(
        start,
        period.end_at,
        scope,
        by_store,
        before=o.completed_at < middle,
        after=o.completed_at >= middle,
    )
    c = per_customer.c
    return await _customers_with(session, per_customer, by_store, c.before > 0, c.after > 0)


async def order_totals(
    session: AsyncSession,
    period: Period,
    scope: Scope,
    customers: Any = None,
    *,
    exclude: bool = False,
) -> tuple[int, int]:
    """``(orders, revenue)`` of the completed orders in the period, optionally only those of
    the customers a subquery selects (a plugin's cohort: members, referred customers), or
    with ``exclude`` only those of everyone else."""
    statement = select(func.count(), func.coalesce(func.sum(o.total), 0)).where(
        *visits_between(period.start_at, period.end_at, scope),
        o.status == OrderStatus.completed,
    )
    if customers is not None:
        cohort = o.customer_id.in_(customers)
        statement = statement.where(~cohort if exclude else cohort)
    row = (await session.execute(statement)).one()
    return int(row[0]), int(row[1])
