"""12-month retention by the board's last day, as running sums: flat in the chain's size.

Retention depends on the period's last day ``L`` only: of the customers with a visit in
``[B, W)`` (``W`` the first day of the 12 months ending with ``L``, ``B`` of the 24), the
share with one in ``[W, L]``. For one customer and one visit day ``t``, the days ``L`` whose
earlier year holds ``t`` are one interval, and so are those whose last year holds it; over
their visits, a customer is *seen* (in the denominator) on a union of intervals and *back*
on its intersection with the other union. Each interval is stored as +1 on its first day
and -1 the day after its last: the figure for ``L`` is the sum of the rows up to ``L``,
stores x days rows whatever the number of customers.

Kept with the links (:mod:`pitstop.crm.visit_links`): at an order, the customer's deltas
after it minus before it; rebuilt with them, in SQL (:mod:`pitstop.crm.link_rebuild`).
Chain rows carry :data:`CHAIN` as store.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Date, Integer, Uuid
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import UniqueConstraint

from pitstop.crm import counts
from pitstop.db.base import TenantModel, new_id
from pitstop.db.tenant_context import current_tenant_id
from pitstop.tenancy.periods import add_months

CHAIN = uuid.UUID(int=0)
"""The store of the chain-wide rows (a customer's visits anywhere)."""
DAY = dt.timedelta(days=1)
Delta = tuple[uuid.UUID, dt.date, str]
"""``(store or CHAIN, day, "seen" | "back")``."""
Interval = tuple[dt.date, dt.date]


class RetentionDay(TenantModel):
    __tablename__ = "retention_days"
    __table_args__ = (UniqueConstraint("tenant_id", "store_id", "day"),)

    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[dt.date] = mapped_column(Date)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    back: Mapped[int] = mapped_column(Integer, default=0)


@functools.cache
def _first_after_year(t: dt.date) -> dt.date:
    """The first ``L`` whose last 12 months begin after ``t`` (cached: a chain's visits fall on
    a few hundred days a year, and a rebuild asks for each of them many times)."""
    last = add_months(t, 12) - 4 * DAY
    while add_months(last + DAY, -12) <= t:
        last += DAY
    return last


@functools.cache
def _last_within_two_years(t: dt.date) -> dt.date:
    """The last ``L`` whose 24 months still begin on or before ``t``."""
    last = add_months(t, 24) + 4 * DAY
    while add_months(last + DAY, -24) > t:
        last -= DAY
    return last


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    found = []
    for start, end in a:
        for other_start, other_end in b:
            low, high = max(start, other_start), min(end, other_end)
            if low <= high:
                found.append((low, high))
    return found


def _scope(found: Counter[Delta], store: uuid.UUID, days: set[dt.date]) -> None:
    seen = _union((_first_after_year(t), _last_within_two_years(t)) for t in days)
    recent = _union((t, _first_after_year(t) - DAY) for t in days)
    for kind, intervals in (("seen", seen), ("back", _intersect(seen, recent))):
        for start, end in intervals:
            found[(store, start, kind)] += 1
            found[(store, end + DAY, kind)] -= 1


def deltas(visits: Iterable[tuple[dt.date, uuid.UUID]]) -> Counter[Delta]:
    """One customer's running-sum deltas, chain and per store, from their visit days."""
    found: Counter[Delta] = Counter()
    visits = list(visits)
    _scope(found, CHAIN, {day for day, _ in visits})
    for store in {store for _, store in visits}:
        _scope(found, store, {day for day, s in visits if s == store})
    return found


async def add(session: AsyncSession, changes: Counter[Delta]) -> None:
    """Add the deltas to their rows (``INSERT ... ON CONFLICT DO UPDATE``)."""
    rows: dict[tuple[uuid.UUID, dt.date], dict[str, int]] = {}
    for (store, day, kind), n in changes.items():
        if n:
            rows.setdefault((store, day), {"seen": 0, "back": 0})[kind] += n
    if not rows:
        return
    tenant_id = current_tenant_id()
    values = [
        {"tenant_id": tenant_id, "id": new_id(), "store_id": store, "day": day, **seen_back}
        for (store, day), seen_back in rows.items()
    ]
    key = ("tenant_id", "store_id", "day")
    await counts.add(session, RetentionDay, key, ("seen", "back"), values)
