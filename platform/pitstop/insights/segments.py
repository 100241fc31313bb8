"""The segments report: how many customers each RFM segment holds, their share of the
window's spend, and the change since the run before.

Counted in SQL from ``customer_rfm`` (``GROUP BY segment``). A customer belongs to a store
when it is their home store or the store of their latest visit, the same rule as the
customer list's ``store_id``; a store-scoped caller counts only their stores' customers.
The trend compares with the previous run's recorded sizes: chain-wide, or for one store;
for a caller scoped to several stores it is null (a customer of two stores would be
counted twice by adding them up).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import Customer, CustomerRfm
from pitstop.insights.figures import Scope
from pitstop.insights.kpis import rate
from pitstop.insights.models import RfmRun


class SegmentOut(msgspec.Struct, kw_only=True):
    segment: str
    customers: int
    share: float | None
    monetary: int
    revenue_share: float | None
    previous_customers: int | None
    change: int | None


class SegmentsReport(msgspec.Struct, kw_only=True):
    computed_at: dt.datetime | None
    previous_computed_at: dt.datetime | None
    method: str | None
    window_months: int | None
    customers: int
    segments: list[SegmentOut]


def in_stores(scope: Scope) -> ColumnElement[bool]:
    """The customer's home store, or their latest visit's, is one of ``scope``."""
    stores = list(scope or [])
    return or_(CustomerRfm.last_store_id.in_(stores), Customer.home_store_id.in_(stores))


async def report(session: AsyncSession, scope: Scope) -> SegmentsReport:
    statement = (
        select(CustomerRfm.segment, func.count(), func.coalesce(func.sum(CustomerRfm.monetary), 0))
        .join(Customer, Customer.id == CustomerRfm.customer_id)
        .group_by(CustomerRfm.segment)
        .order_by(CustomerRfm.segment)
    )
    if scope is not None:
        statement = statement.where(in_stores(scope))
    rows = [(str(r[0]), int(r[1]), int(r[2])) for r in (await session.execute(statement)).all()]
    runs = (
        await session.scalars(select(RfmRun).order_by(RfmRun.computed_at.desc()).limit(2))
    ).all()
    latest, previous = [*runs, None, None][:2]
    before = _previous_sizes(previous, scope)
    customers, spend = sum(r[1] for r in rows), sum(r[2] for r in rows)
    return SegmentsReport(
        computed_at=latest.computed_at if latest else None,
        previous_computed_at=previous.computed_at if previous else None,
        method=latest.method if latest else None,
        window_months=latest.window_months if latest else None,
        customers=customers,
        segments=[
            SegmentOut(
                segment=segment,
                customers=count,
                share=rate(count, customers),
                monetary=monetary,
                revenue_share=rate(monetary, spend),
                previous_customers=None if before is None else before.get(segment, 0),
                change=None if before is None else count - before.get(segment, 0),
            )
            for segment, count, monetary in rows
        ],
    )


def _previous_sizes(run: RfmRun | None, scope: Scope) -> dict[str, int] | None:
    if run is None:
        return None
    sizes: dict[str, Any] = run.sizes
    if scope is None:
        return {s: int(v["customers"]) for s, v in sizes.get("chain", {}).items()}
    if len(scope) == 1:
        return {s: int(n) for s, n in sizes.get("stores", {}).get(str(scope[0]), {}).items()}
    return None
