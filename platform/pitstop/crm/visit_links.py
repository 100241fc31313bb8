"""Visit links: each visit's local day beside the customer's previous and next visit days.

The board's distinct-customer figures ask "how many customers ..." over spans of days, and
a customer seen twice must count once. Each of them is a count of visits once every visit
knows the days of its neighbours (docs/insights.md, "Visit links"): a customer visited in
``[first, last]`` exactly when one of their visits there is followed by none before
``last`` ends - so ``unique_customers`` is the visits of the period whose next visit is
after it. Rows are counts keyed by (scope, store, day, previous day, next day): visits
sharing a key collapse into one row, and a sum over a period's rows replaces the
``COUNT(DISTINCT customer_id)``, correlated ``EXISTS`` and per-customer ``GROUP BY`` the
board ran over the orders.

Two scopes: ``chain`` rows link a customer's visits anywhere in the chain, store rows only
their visits to that store (retention per store is "came back to that store").
Neighbours are ordered as the live figures order them: by ``completed_at``, then id. The
internal customer (the shop's own stock cars) is left out, as from every KPI.

Kept like the daily rollups (:mod:`pitstop.crm.rollups`): in the transaction that makes an
order a visit (:func:`visit_recorded`: the customer's links before and after it, the
difference added with ``INSERT ... ON CONFLICT DO UPDATE``; an advisory lock on the
customer first, so two of their orders completing at once cannot both link to the same
neighbour),
and rebuilt by the nightly job when the rows do not account for every visit (history from
before the table, or orders bulk-written without this module), in the database
(:mod:`pitstop.crm.link_rebuild`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, Integer, Uuid, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import UniqueConstraint

from pitstop.crm import counts, link_rebuild, retention_days, store_groups
from pitstop.crm.internal import not_internal
from pitstop.crm.link_rebuild import NEVER, OPEN
from pitstop.crm.models import OrderStatus, ServiceOrder
from pitstop.crm.retention_days import RetentionDay
from pitstop.db.base import TenantModel, new_id, tenant_fk
from pitstop.db.tenant_context import current_tenant_id

VISITS = (OrderStatus.completed, OrderStatus.refunded)
o = ServiceOrder

Key = tuple[bool, uuid.UUID, dt.date, dt.date, dt.date]
"""``(chain, store_id, day, previous_day, next_day)``."""
Visit = tuple[dt.datetime, uuid.UUID, uuid.UUID]
"""``(completed_at, order id, store_id)``."""


class VisitLink(TenantModel):
    __tablename__ = "visit_links"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "chain",
            "day",
            "store_id",
            "previous_day",
            "next_day",
            name="uq_visit_links_key",
        ),
        tenant_fk(["store_id"], "stores"),
    )

    chain: Mapped[bool] = mapped_column(Boolean)
    """Neighbours anywhere in the chain (True) or at this store only (False)."""
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[dt.date] = mapped_column(Date)
    previous_day: Mapped[dt.date] = mapped_column(Date)
    next_day: Mapped[dt.date] = mapped_column(Date)
    visits: Mapped[int] = mapped_column(Integer, default=0)


def links(visits: Iterable[Visit], timezone: str) -> Counter[Key]:
    """One customer's links in both scopes, from their visits in any order."""
    zone = ZoneInfo(timezone)
    ordered = sorted(visits)
    days = [(at.astimezone(zone).date(), store) for at, _, store in ordered]
    found: Counter[Key] = Counter()
    _chain(found, True, days)
    for store in {store for _, store in days}:
        _chain(found, False, [(day, s) for day, s in days if s == store])
    return found


def _chain(found: Counter[Key], chain: bool, days: list[tuple[dt.date, uuid.UUID]]) -> None:
    for i, (day, store) in enumerate(days):
        previous = days[i - 1][0] if i else NEVER
        following = days[i + 1][0] if i + 1 < len(days) else OPEN
        found[(chain, store, day, previous, following)] += 1


async def _add(session: AsyncSession, deltas: Counter[Key]) -> None:
    """Add each key's count to its row, creating it first: atomic under concurrency. One
    statement compiled once and executed for every row (the driver batches them)."""
    tenant_id = current_tenant_id()
    rows = [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "chain": chain,
            "store_id": store,
            "day": day,
            "previous_day": previous,
            "next_day": following,
            "visits": n,
        }
        for (chain, store, day, previous, following), n in deltas.items()
        if n
    ]
    key = ("tenant_id", "chain", "day", "store_id", "previous_day", "next_day")
    await counts.add(session, VisitLink, key, ("visits",), rows)


async def _lock(session: AsyncSession, key: str, *, shared: bool = False) -> None:
    """A transaction-scoped advisory lock on PostgreSQL (SQLite serialises writers anyway).
    Advisory, not a row lock: it orders only the link writers, and cannot deadlock with
    code that locks customers or orders."""
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await session.execute(text(f"SELECT {function}(hashtext(:key))"), {"key": key})


def _tenant_visits() -> list[Any]:
    """The tenant's visits, the internal customer's left out."""
    return [o.tenant_id == current_tenant_id(), o.status.in_(VISITS), not_internal(o.customer_id)]


def _tenant_key() -> str:
    return f"visit_links:{current_tenant_id()}"


async def visit_recorded(session: AsyncSession, order: ServiceOrder, timezone: str) -> None:
    """An order just became a visit: its customer's links change by the difference.

    Locks, in this order: the tenant's links shared (a running rebuild finishes first), then
    the customer (two of their orders completing at once would both link to the same
    neighbour and subtract its old link twice)."""
    await _lock(session, _tenant_key(), shared=True)
    await _lock(session, f"visit_links:{order.customer_id}")
    rows = await session.execute(
        select(o.completed_at, o.id, o.store_id).where(
            o.tenant_id == current_tenant_id(),
            o.customer_id == order.customer_id,
            o.status.in_(VISITS),
        )
    )
    visits: list[Visit] = [(at, oid, store) for at, oid, store in rows.all() if at is not None]
    assert order.completed_at is not None
    before = [v for v in visits if v[1] != order.id]
    after = [*before, (order.completed_at, order.id, order.store_id)]
    deltas = links(after, timezone)
    deltas.subtract(links(before, timezone))
    await _add(session, deltas)
    await store_groups.visit_recorded(session, order.store_id, before, after, timezone)
    zone = ZoneInfo(timezone)
    running = retention_days.deltas((at.astimezone(zone).date(), s) for at, _, s in after)
    running.subtract(retention_days.deltas((at.astimezone(zone).date(), s) for at, _, s in before))
    await retention_days.add(session, running)


async def rebuild(session: AsyncSession, timezone: str) -> int:
    """Replace the tenant's links and retention rows with the ones its orders give; returns
    the visits linked. Set-based on both databases (:mod:`pitstop.crm.link_rebuild`): the
    visits never leave the database."""
    await _lock(session, _tenant_key())
    tenant_id = current_tenant_id()
    await session.execute(delete(RetentionDay).where(RetentionDay.tenant_id == tenant_id))
    await session.execute(delete(VisitLink).where(VisitLink.tenant_id == tenant_id))
    await link_rebuild.rebuild(session, timezone)
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(VisitLink.visits), 0)).where(
                VisitLink.tenant_id == tenant_id, VisitLink.chain.is_(True)
            )
        )
        or 0
    )


async def nightly(session: AsyncSession, timezone: str) -> None:
    """Rebuild the links when they do not account for every visit, and bring the store
    groups in line with the sets the memberships hold (all of them rebuilt with the links)."""
    incomplete = not await complete(session)
    if incomplete:
        await rebuild(session, timezone)
    else:
        await _lock(session, _tenant_key())
    await store_groups.refresh(session, timezone, rebuild=incomplete)


async def complete(session: AsyncSession) -> bool:
    """Whether the chain-scope links account for every visit (each visit is one of them)."""
    linked = await session.scalar(
        select(func.coalesce(func.sum(VisitLink.visits), 0)).where(
            VisitLink.tenant_id == current_tenant_id(), VisitLink.chain.is_(True)
        )
    )
    visits = await session.scalar(select(func.count()).where(*_tenant_visits()))
    return int(linked or 0) == int(visits or 0)
