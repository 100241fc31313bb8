"""A manager of several stores reads their block from the store group's links, with the
figures the orders give.

The chain gets a third store, SH003, outside the manager's two (SH001 and SH002). The book:
P visits SH001 and then SH002 (one customer of the group, twice); Q visits SH001, then SH003
between, then SH001 again (the chain's neighbours lie outside the group); R comes only to
SH003; S visited SH002 two years back and returns to SH001 (retention); T visits SH001 and
SH002 on the same day; U's second visit falls on the first day of the year before March
2026's board (the edge of retention's windows). After the night builds the group, live
orders (one of them late, between two of Q's visits) keep it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from pitstop.crm import rollups, store_groups
from pitstop.crm.store_groups import GroupLink, StoreGroup
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.models import Membership
from pitstop.insights import figures, links
from pitstop.tenancy.models import Store
from tests.conftest import BACKENDS
from tests.insights.conftest import Book, local

PERIODS = [
    (dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
    (dt.date(2026, 3, 10), dt.date(2026, 4, 30)),
    (dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
    (dt.date(2026, 3, 20), dt.date(2026, 3, 20)),
    (dt.date(2027, 3, 1), dt.date(2027, 3, 31)),
]
PAIRS = [
    (links.unique_customers, figures.unique_customers),
    (links.repurchase, figures.repurchase),
    (links.retention, figures.retention),
]


async def open_third_store(book: Book) -> None:
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            store = Store(
                code="SH003", name="三店", city="上海", region="urban", timezone="Asia/Shanghai"
            )
            session.add(store)
            await session.flush()
            book.crm.stores["SH003"] = str(store.id)


async def give_manager(book: Book, *codes: str) -> None:
    """The demo's store managers now hold these stores."""
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await session.execute(
                update(Membership)
                .where(Membership.role == "store_manager")
                .values(store_ids=[book.crm.stores[code] for code in codes])
            )


async def night(book: Book) -> None:
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await rollups.nightly(session, local("2026-04-03"))


async def assert_group_agrees_with_orders(book: Book) -> None:
    from pitstop.tenancy.periods import Period

    scope = sorted(uuid.UUID(book.crm.stores[code]) for code in ("SH001", "SH002"))
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            # the group's rows answer (no fallback to the orders)
            assert await store_groups.built(session, scope) is not None
            for first, last in PERIODS:
                period = Period(first, last)
                for linked, live in PAIRS:
                    expected = await live(session, period, scope, False)
                    assert await linked(session, period, scope, False) == {
                        key: value for key, value in expected.items() if any(_tuple(value))
                    }, (linked.__name__, period)


def _tuple(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_a_two_store_block_reads_its_group_with_the_orders_figures(book: Book) -> None:
    # Given a third store, the managers holding SH001 and SH002, and the book's visits
    await open_third_store(book)
    await give_manager(book, "SH001", "SH002")
    p, q, r, s, t, u = [await book.customer() for _ in range(6)]
    await book.visit(p, "SH001", local("2026-03-05"), 1_000)
    await book.visit(p, "SH002", local("2026-03-20"), 1_000)
    await book.visit(q, "SH001", local("2025-11-01"), 1_000)
    await book.visit(q, "SH003", local("2026-02-01"), 1_000)
    await book.visit(q, "SH001", local("2026-03-12"), 1_000)
    await book.visit(r, "SH003", local("2026-03-15"), 1_000)
    await book.visit(s, "SH002", local("2024-06-01"), 1_000)
    await book.visit(s, "SH001", local("2026-03-25"), 1_000)
    await book.visit(t, "SH001", local("2026-03-20", "09:00"), 1_000)
    await book.visit(t, "SH002", local("2026-03-20", "15:00"), 1_000)
    await book.visit(u, "SH001", local("2024-12-01"), 1_000)
    await book.visit(u, "SH002", local("2025-04-01"), 1_000)
    # When the night registers the managers' set and builds its links
    await night(book)
    # Then the block's figures from the group's rows equal those from the orders
    await assert_group_agrees_with_orders(book)
    # When more orders complete: a late one between Q's visits, and new visits in April
    await book.visit(q, "SH002", local("2026-01-10"), 1_000)
    await book.visit(r, "SH002", local("2026-04-02"), 1_000)
    await book.visit(p, "SH001", local("2026-04-02"), 1_000)
    # Then the orders kept the group, and it still agrees
    await assert_group_agrees_with_orders(book)
    # And the manager's board shows that block as its chain figures
    response = await book.crm.demo.client.get(
        "/api/v1/insights/kpis",
        params={"from": "2026-03-01", "to": "2026-04-30"},
        headers=await book.crm.headers("store_manager"),
    )
    assert response.status_code == 200, response.text
    chain = response.json()["chain"]
    assert chain["unique_customers"] == 5  # P, Q, R (SH002 in April), S, T
    assert [store["code"] for store in response.json()["stores"]] == ["SH001", "SH002"]
    # When nobody holds the set any more
    await give_manager(book, "SH001")
    await night(book)
    # Then the group and its links are gone
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            assert (await session.scalars(select(StoreGroup.id))).all() == []
            assert (await session.scalars(select(GroupLink.id))).all() == []
