"""The nightly RFM run for one tenant: score every customer with a visit, name a segment.

Recency, frequency and monetary value are aggregated and scored in one SQL statement:
quantiles are ``NTILE(5)`` window functions over the aggregates (ties broken by customer
id, so both databases give every customer the same score), thresholds are ``CASE``
expressions against cut-offs turned into instants here. The rows are then *streamed*
(``yield_per``, with each customer's latest store from a correlated lookup on the
``(tenant_id, customer_id)`` index) and written back in batches, so memory holds one batch
whatever the number of customers; only the segment rule is applied in Python, per row.
The run replaces the tenant's ``customer_rfm`` rows in one transaction and records the
segment sizes in ``rfm_runs`` for the next run's trend.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pitstop.crm.internal import not_internal
from pitstop.crm.models import Customer, CustomerRfm, OrderStatus, ServiceOrder
from pitstop.db.tenant_context import current_tenant_id
from pitstop.insights.models import RfmRun
from pitstop.insights.rfm_settings import RfmSettings, rfm_settings
from pitstop.tenancy.models import Tenant
from pitstop.tenancy.periods import add_months

BATCH = 1_000
VISITS = (OrderStatus.completed, OrderStatus.refunded)
o = ServiceOrder


def _aggregates(window_start: dt.datetime) -> Any:
    """Per customer: last and first visit ever, visits and spend within the window."""
    in_window = o.completed_at >= window_start
    spent = and_(in_window, o.status == OrderStatus.completed)
    return (
        select(
            o.customer_id.label("customer_id"),
            func.max(o.completed_at).label("last_visit"),
            func.min(o.completed_at).label("first_visit"),
            func.count().filter(in_window).label("frequency"),
            func.coalesce(func.sum(o.total).filter(spent), 0).label("monetary"),
        )
        .where(
            o.tenant_id == current_tenant_id(),
            o.status.in_(VISITS),
            not_internal(o.customer_id),  # the shop's own cars are scored as nobody
        )
        .group_by(o.customer_id)
        .subquery("visits")
    )


def _ascending(value: Any, cuts: Sequence[int]) -> ColumnElement[int]:
    """1 up to the first cut, 2 up to the second, ... 5 above the last."""
    return case(*((value <= cut, score) for score, cut in enumerate(cuts, start=1)), else_=5)


def _scores(settings: RfmSettings, visits: Any, now: dt.datetime) -> list[ColumnElement[int]]:
    if settings.method == "quantiles":
        return [
            func.ntile(5).over(order_by=(column, visits.c.customer_id))
            for column in (visits.c.last_visit, visits.c.frequency, visits.c.monetary)
        ]
    recent = [now - dt.timedelta(days=days) for days in settings.recency_days]
    recency = case(*((visits.c.last_visit >= cut, 5 - i) for i, cut in enumerate(recent)), else_=1)
    return [
        recency,
        _ascending(visits.c.frequency, settings.frequency),
        _ascending(visits.c.monetary, settings.monetary),
    ]


def scored_statement(settings: RfmSettings, now: dt.datetime) -> Any:
    """Every customer with a visit, with aggregates and scores, in customer order. Joined
    to ``Customer`` so the ORM's tenant criteria reach the statement (and the home store
    comes along for the per-store sizes)."""
    visits = _aggregates(_months_before(now, settings.window_months))
    r, f, m = _scores(settings, visits, now)
    latest = aliased(ServiceOrder)
    last_store = (
        select(latest.store_id)
        .where(
            latest.tenant_id == Customer.tenant_id,
            latest.customer_id == Customer.id,
            latest.status.in_(VISITS),
        )
        .order_by(latest.completed_at.desc(), latest.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    return (
        select(
            Customer.id,
            Customer.home_store_id,
            last_store,
            visits.c.last_visit,
            visits.c.first_visit,
            visits.c.frequency,
            visits.c.monetary,
            r,
            f,
            m,
        )
        .join(visits, visits.c.customer_id == Customer.id)
        .where(Customer.tenant_id == current_tenant_id())
        .order_by(Customer.id)
    )


def _months_before(now: dt.datetime, months: int) -> dt.datetime:
    return dt.datetime.combine(add_months(now.date(), -months), now.timetz())


def _aware(value: Any) -> dt.datetime:
    """Aggregates over a UTC column come back raw from SQLite: restore the zone."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class _Tally:
    """Segment sizes chain-wide and per store (home or last), kept while streaming."""

    def __init__(self) -> None:
        self.chain: Counter[str] = Counter()
        self.spend: Counter[str] = Counter()
        self.stores: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, segment: str, monetary: int, stores: set[uuid.UUID | None]) -> None:
        self.chain[segment] += 1
        self.spend[segment] += monetary
        for store in stores - {None}:
            self.stores[str(store)][segment] += 1

    def sizes(self) -> dict[str, Any]:
        return {
            "chain": {
                s: {"customers": n, "monetary": self.spend[s]} for s, n in self.chain.items()
            },
            "stores": {store: dict(counts) for store, counts in self.stores.items()},
        }


async def run(session: AsyncSession, now: dt.datetime) -> RfmRun:
    """Replace the tenant-in-context's RFM rows; returns the run it recorded."""
    tenant = await session.get(Tenant, current_tenant_id())
    settings = rfm_settings(dict(tenant.settings) if tenant else {})
    await session.execute(delete(CustomerRfm))
    tally, batch = _Tally(), []
    result = await session.stream(
        scored_statement(settings, now).execution_options(yield_per=BATCH)
    )
    async for row in result:
        batch.append(row)
        if len(batch) == BATCH:
            await _write(session, settings, batch, now, tally)
            batch = []
    if batch:
        await _write(session, settings, batch, now, tally)
    record = RfmRun(
        computed_at=now,
        method=settings.method,
        window_months=settings.window_months,
        customers=sum(tally.chain.values()),
        sizes=tally.sizes(),
    )
    session.add(record)
    await session.flush()
    return record


async def _write(
    session: AsyncSession,
    settings: RfmSettings,
    batch: list[Any],
    now: dt.datetime,
    tally: _Tally,
) -> None:
    tenant_id = current_tenant_id()
    values = []
    for customer_id, home, store, last, first, frequency, monetary, r, f, m in batch:
        first_days = (now - _aware(first)).days
        segment = settings.segment_of(int(r), int(f), int(m), first_days)
        tally.add(segment, int(monetary), {home, store})
        values.append(
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "recency_days": (now - _aware(last)).days,
                "frequency": int(frequency),
                "monetary": int(monetary),
                "r": int(r),
                "f": int(f),
                "m": int(m),
                "segment": segment,
                "last_store_id": store,
                "computed_at": now,
            }
        )
    await session.execute(insert(CustomerRfm), values)
