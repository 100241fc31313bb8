"""Daily per-store rollups of visits: what the KPI board sums instead of reading orders.

One row per (store, local day, customer source) holds the day's revenue, orders, visits and
new customers, in the words of docs/insights.md (a *visit* is a completed or refunded order,
dated by ``completed_at`` in the tenant's zone; *revenue* and *orders* count only orders
still ``completed``; a *new customer* is counted on the day and at the store of their first
visit to the chain). Every column adds up across days, stores and sources, so a period's
figure is a sum over at most stores x days x sources rows, whatever the chain's size.

The rows are kept two ways, and agree (tests/insights/test_rollups.py):

* in the transaction that completes or refunds an order (:func:`visit_recorded`,
  :func:`visit_refunded`), as deltas applied with ``INSERT ... ON CONFLICT DO UPDATE``, so
  two orders completed at once at one store never lose each other's counts. An order dated
  before the customer's known first visit (a late order) moves "new" from that visit's day;
* by the nightly job (:func:`nightly`), which recomputes the last weeks from the orders,
  and the whole history when the rollups start later than the first visit (a tenant whose
  orders predate the table, or a bulk import that wrote orders without this module).

Kept in the CRM because ``crm.orders`` writes them beside the order, as it writes the
outbox event: the insights layer above only reads them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Date, Integer, String, Uuid, and_, delete, exists, func, or_
from sqlalchemy import select as sql_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column
from sqlalchemy.schema import Index, UniqueConstraint

from pitstop.crm import counts, visit_links
from pitstop.crm.internal import internal_customer_id, not_internal
from pitstop.crm.models import Customer, OrderStatus, ServiceOrder
from pitstop.db.base import TenantModel, new_id, tenant_fk
from pitstop.db.tenant_context import current_tenant_id
from pitstop.tenancy.periods import local_midnight, tenant_timezone

VISITS = (OrderStatus.completed, OrderStatus.refunded)
NIGHTLY_DAYS = 35
"""How many closed days the nightly job recomputes from the orders (drift repair)."""
o = ServiceOrder


class StoreDay(TenantModel):
    __tablename__ = "store_days"
    __table_args__ = (
        UniqueConstraint("tenant_id", "store_id", "day", "source"),
        Index("ix_store_days_tenant_id_day", "tenant_id", "day"),
        tenant_fk(["store_id"], "stores"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[dt.date] = mapped_column(Date)
    """The local day of the tenant's zone the visits were completed on."""
    source: Mapped[str] = mapped_column(String(32))
    """The customers' acquisition channel (``new_customers`` by source)."""
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    new_customers: Mapped[int] = mapped_column(Integer, default=0)


FIGURES = ("revenue", "orders", "visits", "new_customers")


def local_day(moment: dt.datetime | None, timezone: str) -> dt.date:
    assert moment is not None, "a visit has a completion instant"
    return moment.astimezone(ZoneInfo(timezone)).date()


async def _add(
    session: AsyncSession, store_id: uuid.UUID, day: dt.date, source: str, **deltas: int
) -> None:
    """Add ``deltas`` to one row, creating it at zero first: atomic under concurrency."""
    row = {"tenant_id": current_tenant_id(), "id": new_id(), "store_id": store_id, "day": day}
    row |= {"source": source} | {name: deltas.get(name, 0) for name in FIGURES}
    key = ("tenant_id", "store_id", "day", "source")
    await counts.add(session, StoreDay, key, FIGURES, [row])


async def _source(session: AsyncSession, customer_id: uuid.UUID) -> str:
    source = await session.scalar(sql_select(Customer.source).where(Customer.id == customer_id))
    return str(source)


async def visit_recorded(session: AsyncSession, order: ServiceOrder, timezone: str) -> None:
    """An order just became a visit (completed, or written already refunded by an import).
    The internal customer's (a bought-in car's reconditioning) is the shop's own work:
    no revenue, no visit, no customer."""
    assert order.completed_at is not None
    if order.customer_id == internal_customer_id():
        return
    source = await _source(session, order.customer_id)
    first = (
        await session.execute(
            sql_select(o.store_id, o.completed_at, o.id)
            .where(o.customer_id == order.customer_id, o.status.in_(VISITS), o.id != order.id)
            .order_by(o.completed_at, o.id)
            .limit(1)
        )
    ).first()
    is_first = first is None or (first[1], first[2]) > (order.completed_at, order.id)
    completed = order.status == OrderStatus.completed
    await _add(
        session,
        order.store_id,
        local_day(order.completed_at, timezone),
        source,
        revenue=order.total if completed else 0,
        orders=int(completed),
        visits=1,
        new_customers=int(is_first),
    )
    if is_first and first is not None:
        await _add(session, first[0], local_day(first[1], timezone), source, new_customers=-1)
    await visit_links.visit_recorded(session, order, timezone)


async def visit_refunded(session: AsyncSession, order: ServiceOrder, timezone: str) -> None:
    """The money goes back; the visit stays (the car was worked on)."""
    assert order.completed_at is not None
    if order.customer_id == internal_customer_id():
        return
    source = await _source(session, order.customer_id)
    day = local_day(order.completed_at, timezone)
    await _add(session, order.store_id, day, source, revenue=-order.total, orders=-1)


async def rebuild(
    session: AsyncSession, first: dt.date, last: dt.date, timezone: str, *, history: bool = False
) -> int:
    """Recompute the days ``first`` to ``last`` from the orders; returns the rows written.

    The visits are streamed and summed in Python by (store, day, source): memory grows
    with those keys, never with the orders. The local day is found in Python, so both
    databases and every zone (daylight saving too) agree with :class:`Period`.
    ``history``: the days start at the tenant's first visit, so every earlier visit is in
    range and "first visit" is a window function over it (one sort) instead of a look-up
    per order (about 1 ms an order on the bench's loaded machine).
    """
    start = local_midnight(first, timezone)
    end = local_midnight(last + dt.timedelta(days=1), timezone)
    await session.execute(
        delete(StoreDay).where(
            StoreDay.tenant_id == current_tenant_id(), StoreDay.day >= first, StoreDay.day <= last
        )
    )
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
    first_visit = (
        func.row_number().over(partition_by=o.customer_id, order_by=(o.completed_at, o.id)) == 1
        if history
        else ~came_before
    )
    statement = (
        sql_select(o.store_id, o.completed_at, o.status, o.total, Customer.source, first_visit)
        .join(Customer, and_(Customer.tenant_id == o.tenant_id, Customer.id == o.customer_id))
        .where(
            o.tenant_id == current_tenant_id(),
            o.status.in_(VISITS),
            o.completed_at >= start,
            o.completed_at < end,
            not_internal(o.customer_id),
        )
        .execution_options(yield_per=5_000)
    )
    sums: dict[tuple[uuid.UUID, dt.date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    async for store_id, at, status, total, source, new in await session.stream(statement):
        row = sums[(store_id, local_day(at, timezone), str(source))]
        completed = status == OrderStatus.completed
        row[0] += total if completed else 0
        row[1] += int(completed)
        row[2] += 1
        row[3] += int(bool(new))
    session.add_all(
        StoreDay(store_id=key[0], day=key[1], source=key[2], **dict(zip(FIGURES, row, strict=True)))
        for key, row in sums.items()
    )
    await session.flush()
    return len(sums)


async def nightly(session: AsyncSession, now: dt.datetime) -> int:
    """Recompute the last :data:`NIGHTLY_DAYS` closed days - or every day since the first
    visit when the rollups begin after it (history from before the table or an import) -
    and rebuild the visit links when they do not account for every visit (and the store
    groups' links, :mod:`pitstop.crm.store_groups`)."""
    timezone = await tenant_timezone(session)
    await visit_links.nightly(session, timezone)
    today = local_day(now, timezone)
    first_visit = await session.scalar(
        sql_select(func.min(o.completed_at)).where(
            o.tenant_id == current_tenant_id(), o.status.in_(VISITS)
        )
    )
    if first_visit is None:
        return 0
    first_rolled = await session.scalar(
        sql_select(func.min(StoreDay.day)).where(StoreDay.tenant_id == current_tenant_id())
    )
    first_day = local_day(first_visit, timezone)
    if first_rolled is None or first_rolled > first_day:
        return await rebuild(session, first_day, today, timezone, history=True)
    yesterday = today - dt.timedelta(days=1)
    return await rebuild(session, today - dt.timedelta(days=NIGHTLY_DAYS), yesterday, timezone)
