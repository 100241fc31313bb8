"""The daily rollups the board sums agree with the figures computed from the orders.

The book: X's first visit at SH001 on 10 March, then an order dated 2 March at SH002
written afterwards (a late order: X's "new" moves to 2 March, SH002); Y completes at SH001 on
31 March at 23:30 local and is refunded through the order service; Z visits in February
2025 and again on 15 March 2026 (not new); V comes to SH001 in June 2025, to SH001 and
SH002 at the same instant on 20 March 2026, and a late order dated December 2025 at SH001
is written last. Rows kept as visits happen, rebuilt by the nightly job from nothing, and
the live computation must all say the same - the daily rollups for the additive figures,
the visit links for unique customers, repurchase and retention.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import delete, select

from pitstop.crm import orders, rollups, visit_links
from pitstop.crm.models import ServiceOrder, SourceChannel
from pitstop.crm.rollups import StoreDay
from pitstop.crm.visit_links import VisitLink
from pitstop.db.tenant_context import tenant_scope
from pitstop.insights import daily, figures, links
from pitstop.tenancy.periods import Period
from tests.conftest import BACKENDS, ON_POSTGRES
from tests.insights.conftest import ON_SQLITE, Book, local

PERIODS = [
    Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
    Period(dt.date(2026, 3, 1), dt.date(2026, 3, 9)),
    Period(dt.date(2026, 3, 10), dt.date(2026, 4, 30)),
    Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
    Period(dt.date(2026, 3, 20), dt.date(2026, 3, 20)),
    Period(dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
]
LINKED = (links.unique_customers, links.repurchase, links.retention)
LIVE = (figures.unique_customers, figures.repurchase, figures.retention)


async def write_book(book: Book) -> None:
    x = await book.customer(SourceChannel.referral)
    y = await book.customer(SourceChannel.walk_in)
    z = await book.customer(SourceChannel.platform)
    await book.visit(x, "SH001", local("2026-03-10"), 12_000)
    await book.visit(x, "SH002", local("2026-03-02"), 8_000)  # late: earlier than the first
    refunded = await book.visit(y, "SH001", local("2026-03-31", "23:30"), 5_000)
    await book.visit(z, "SH002", local("2025-02-10"), 3_000)
    await book.visit(z, "SH001", local("2026-03-15"), 4_000)
    v = await book.customer(SourceChannel.walk_in)
    await book.visit(v, "SH001", local("2025-06-01"), 1_000)
    await book.visit(v, "SH001", local("2026-03-20"), 2_000)
    await book.visit(v, "SH002", local("2026-03-20"), 3_000)
    await book.visit(v, "SH001", local("2025-12-01"), 4_000)  # late, between the others
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            order = await session.get(ServiceOrder, (book.crm.tenant_id, refunded))
            assert order is not None
            await orders.refund(session, order, "damaged part", local("2026-04-02"))


async def compare(book: Book) -> None:
    sh001 = uuid.UUID(book.crm.stores["SH001"])
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            for period in PERIODS:
                for by_store in (False, True):
                    live = await figures.activity(session, period, None, by_store)
                    assert await daily.totals(session, period, None, by_store) == {
                        key: row[:3] for key, row in live.items() if any(row)
                    }, (period, by_store)
                    assert await daily.new_customers(
                        session, period, None, by_store
                    ) == await figures.new_customers(session, period, None, by_store)
                    for scope in (None, [sh001]):
                        for linked, live in zip(LINKED, LIVE, strict=True):
                            expected = await live(session, period, scope, by_store)
                            assert await linked(session, period, scope, by_store) == {
                                key: value for key, value in expected.items() if _some(value)
                            }, (linked.__name__, period, scope, by_store)


def _some(value: object) -> bool:
    """A figure other than nothing (the live statements also answer zeros)."""
    return any(value) if isinstance(value, tuple) else bool(value)


async def rows(book: Book) -> set[tuple[uuid.UUID, dt.date, str, int, int, int, int]]:
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            found = await session.execute(
                select(
                    StoreDay.store_id,
                    StoreDay.day,
                    StoreDay.source,
                    StoreDay.revenue,
                    StoreDay.orders,
                    StoreDay.visits,
                    StoreDay.new_customers,
                )
            )
            return {tuple(row) for row in found.all() if any(row[3:])}  # type: ignore[misc]


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_rollups_kept_live_and_rebuilt_nightly_agree_with_the_orders(book: Book) -> None:
    # Given the book, its rollups kept as each visit and the refund happened
    await write_book(book)
    # Then every period's sums, per store and for the chain, equal the live computation
    await compare(book)
    # And X is new on 2 March at SH002, not on 10 March; Y's day keeps the visit, not the money
    kept = await rows(book)
    sh001, sh002 = (uuid.UUID(book.crm.stores[code]) for code in ("SH001", "SH002"))
    assert (sh002, dt.date(2026, 3, 2), "referral", 8_000, 1, 1, 1) in kept
    assert (sh001, dt.date(2026, 3, 10), "referral", 12_000, 1, 1, 0) in kept
    assert (sh001, dt.date(2026, 3, 31), "walk_in", 0, 0, 1, 1) in kept
    linked = await link_rows(book)
    # When the rollups and the links are lost and the nightly job runs
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await session.execute(delete(StoreDay))
            await session.execute(delete(VisitLink))
            await rollups.nightly(session, local("2026-04-03"))
    # Then it back-fills from the first visit to the very same rows, and the sums still agree
    assert await rows(book) == kept
    assert await link_rows(book) == linked
    await compare(book)


async def link_rows(book: Book) -> set[tuple[object, ...]]:
    """The links with visits (the order-time deltas may leave rows at zero)."""
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            found = await session.execute(
                select(
                    VisitLink.chain,
                    VisitLink.store_id,
                    VisitLink.day,
                    VisitLink.previous_day,
                    VisitLink.next_day,
                    VisitLink.visits,
                )
            )
            return {tuple(row) for row in found.all() if row[-1]}


@ON_SQLITE
async def test_the_nightly_job_leaves_kept_days_as_they_are(book: Book) -> None:
    # Given a chain whose rollups are complete
    await write_book(book)
    kept = await rows(book)
    # When the nightly job recomputes its recent window
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await rollups.nightly(session, local("2026-04-20"))
    # Then nothing changed: the window's days were already what the orders say
    assert await rows(book) == kept


@ON_POSTGRES  # concurrent transactions: SQLite would serialise them anyway
async def test_one_customers_orders_completed_at_once_link_like_a_rebuild(book: Book) -> None:
    # Given a customer with a visit in February, and another customer
    x = await book.customer(SourceChannel.walk_in)
    y = await book.customer(SourceChannel.walk_in)
    await book.visit(x, "SH001", local("2026-02-01"), 1_000)
    # When three orders complete at once: two of x's (both after February) and one of y's
    await asyncio.gather(
        book.visit(x, "SH001", local("2026-03-05"), 2_000),
        book.visit(x, "SH002", local("2026-03-06"), 3_000),
        book.visit(y, "SH001", local("2026-03-05"), 4_000),
    )
    # Then the links are exactly those a rebuild from the orders gives
    kept = await link_rows(book)
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await visit_links.rebuild(session, "Asia/Shanghai")
    assert await link_rows(book) == kept
    # And x is one customer of March, with two visits in it
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            march = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
            assert await links.repurchase(session, march, None, False) == {None: (2, 1)}
