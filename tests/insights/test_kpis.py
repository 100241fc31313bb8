"""The KPI board's formulas, computed by hand on a small book of visits (docs/insights.md).

The book, in the demo chain's zone (Asia/Shanghai), for the board of March 2026:

* A (walk-in): SH001 on 10 Feb 2025 (100.00), SH001 on 5 Mar (200.00), SH002 on 20 Mar (300.00)
* B (referral): first visit SH001 on 10 Mar (150.00); SH001 on 31 Mar at 23:30, refunded (50.00)
* C (walk-in): SH002 on 1 Jun 2024 (80.00); SH001 on 1 Apr 2026 at 00:30 (999.99: April locally)
* E (walk-in): first visit SH002 on 15 Mar (100.00)
* D (platform): an order still open at SH001 (not a visit)
"""

from __future__ import annotations

from typing import Any

import pytest

from pitstop.crm.models import OrderStatus, SourceChannel
from tests.conftest import BACKENDS
from tests.insights.conftest import ON_SQLITE, Book, local

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


async def write_book(book: Book) -> None:
    a = await book.customer(SourceChannel.walk_in)
    b = await book.customer(SourceChannel.referral)
    c = await book.customer(SourceChannel.walk_in)
    e = await book.customer(SourceChannel.walk_in)
    d = await book.customer(SourceChannel.platform)
    await book.visit(a, "SH001", local("2025-02-10"), 10_000)
    await book.visit(a, "SH001", local("2026-03-05"), 20_000)
    await book.visit(a, "SH002", local("2026-03-20"), 30_000)
    await book.visit(b, "SH001", local("2026-03-10"), 15_000)
    await book.visit(b, "SH001", local("2026-03-31", "23:30"), 5_000, OrderStatus.refunded)
    await book.visit(c, "SH002", local("2024-06-01"), 8_000)
    await book.visit(c, "SH001", local("2026-04-01", "00:30"), 99_999)
    await book.visit(e, "SH002", local("2026-03-15"), 10_000)
    await book.visit(d, "SH001", None, 7_000, OrderStatus.open)


async def board(book: Book, role: str = "hq_admin", **query: str) -> dict[str, Any]:
    response = await book.crm.demo.client.get(
        "/api/v1/insights/kpis", params={**MARCH, **query}, headers=await book.crm.headers(role)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_every_figure_matches_the_hand_computation_on_both_databases(book: Book) -> None:
    # Given the book above
    await write_book(book)
    # When HQ reads the board for March with last year beside it
    body = await board(book, compare="previous_year")
    chain = body["chain"]
    # Then revenue is the completed orders' totals (B's refund and C's April order are out)
    assert chain["revenue"] == 20_000 + 30_000 + 15_000 + 10_000
    assert chain["orders"] == 4
    assert chain["average_ticket"] == 18_750  # 75,000 / 4
    # And visits count B's refunded order too: A twice, B twice, E once; three customers
    assert (chain["visits"], chain["unique_customers"]) == (5, 3)
    assert chain["visit_frequency"] == round(5 / 3, 2)
    # And the new customers are B (referral) and E (walk-in); A came first in 2025
    assert chain["new_customers"] == {
        "total": 2,
        "by_source": {"referral": 1, "walk_in": 1},
        "referral_share": 0.5,
    }
    # And A and B have two visits in the 12 months to 31 March, E one
    assert chain["repurchase_rate"] == round(2 / 3, 4)
    # And of A and C (seen April 2024 - March 2025) only A came back in the last 12 months
    assert chain["retention_12m"] == 0.5
    # And per store: SH001 has A's and B's March visits, SH002 A's and E's
    stores = {s["code"]: s for s in body["stores"]}
    sh001, sh002 = stores["SH001"], stores["SH002"]
    assert (sh001["revenue"], sh001["orders"], sh001["average_ticket"]) == (35_000, 2, 17_500)
    assert (sh001["visits"], sh001["unique_customers"], sh001["visit_frequency"]) == (3, 2, 1.5)
    assert sh001["new_customers"]["by_source"] == {"referral": 1}
    assert (sh001["repurchase_rate"], sh001["retention_12m"]) == (0.5, 1.0)  # B twice; A back
    assert (sh002["revenue"], sh002["orders"], sh002["average_ticket"]) == (40_000, 2, 20_000)
    assert sh002["new_customers"] == {
        "total": 1,
        "by_source": {"walk_in": 1},
        "referral_share": 0.0,
    }
    assert (sh002["repurchase_rate"], sh002["retention_12m"]) == (0.0, 0.0)  # C never came back
    # And a store without visits shows zeros and unknown rates, never an error
    assert stores["HZ001"]["revenue"] == 0 and stores["HZ001"]["repurchase_rate"] is None
    assert sum(s["revenue"] for s in body["stores"]) == chain["revenue"]
    # And March 2025 is beside it: nothing was completed then
    assert body["compare"] == {
        "from": "2025-03-01",
        "to": "2025-03-31",
        "timezone": "Asia/Shanghai",
    }
    assert chain["previous"]["revenue"] == 0 and sh001["previous"]["orders"] == 0
    # And the revenue is the sum of the totals the orders list returns for the same days
    listed = await book.crm.demo.client.get(
        "/api/v1/service-orders",
        params={**MARCH, "status": "completed", "limit": 200},
        headers=await book.crm.headers(),
    )
    assert sum(o["total"] for o in listed.json()["items"]) == chain["revenue"]


@ON_SQLITE
async def test_a_store_manager_sees_only_their_stores_figures(book: Book) -> None:
    # Given the book, and SH001's manager
    await write_book(book)
    # When the manager reads the board
    body = await board(book, "store_manager")
    # Then only SH001 is on it, and "the chain" is SH001's figures
    assert [s["code"] for s in body["stores"]] == ["SH001"]
    assert body["chain"]["revenue"] == body["stores"][0]["revenue"] == 35_000
    # And asking for SH002, or another tenant's store, is the same 422 as an unknown store
    other = await book.crm.demo.store_id("SH002")
    for store_id in (other, await _foreign_store(book)):
        response = await book.crm.demo.client.get(
            "/api/v1/insights/kpis",
            params={**MARCH, "store_id": store_id},
            headers=await book.crm.headers("store_manager"),
        )
        assert response.status_code == 422, response.text
        assert "store_id" in response.text
    # And a technician may not read the board at all
    response = await book.crm.demo.client.get(
        "/api/v1/insights/kpis", params=MARCH, headers=await book.crm.headers("technician")
    )
    assert response.status_code == 403


@ON_SQLITE
async def test_bad_periods_are_422s_naming_the_parameter(book: Book) -> None:
    headers = await book.crm.headers()
    for query, field in (
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({**MARCH, "compare": "last_week"}, "compare"),
        ({"from": "0001-01-01", "to": "2026-03-01"}, "from"),
        ({"to": "0001-01-01"}, "to"),
    ):
        response = await book.crm.demo.client.get(
            "/api/v1/insights/kpis", params=query, headers=headers
        )
        assert response.status_code in (400, 422), (query, response.text)
        assert field in response.text, (query, response.text)


async def _foreign_store(book: Book) -> str:
    """The demo shop's store: another tenant's id."""
    from sqlalchemy import select

    from pitstop.db.tenant_context import tenant_scope
    from pitstop.tenancy.models import Store, Tenant

    async with book.crm.demo.runtime.sessions() as session:
        shop = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-shop"))).one()
        with tenant_scope(shop):
            return str((await session.scalars(select(Store.id))).first())


async def series(book: Book, **query: str) -> Any:
    response = await book.crm.demo.client.get(
        "/api/v1/insights/series", params=query, headers=await book.crm.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


@ON_SQLITE
async def test_series_points_are_the_boards_formula_per_bucket(book: Book) -> None:
    # Given the book
    await write_book(book)
    # When March's revenue is asked per day
    daily = await series(book, metric="revenue", interval="day", **MARCH)
    by_day = {p["from"]: p["value"] for p in daily["points"]}
    # Then each day holds its completed orders, and the days add up to the board's revenue
    assert len(daily["points"]) == 31
    assert (by_day["2026-03-05"], by_day["2026-03-10"], by_day["2026-03-20"]) == (
        20_000,
        15_000,
        30_000,
    )
    assert by_day["2026-03-31"] == 0  # B's refunded order is a visit, not revenue
    assert sum(by_day.values()) == (await board(book))["chain"]["revenue"]
    # And weeks start on Monday, clipped to March (1 March 2026 is a Sunday)
    weekly = await series(book, metric="orders", interval="week", **MARCH)
    assert [(p["from"], p["to"], p["value"]) for p in weekly["points"]] == [
        ("2026-03-01", "2026-03-01", 0),
        ("2026-03-02", "2026-03-08", 1),
        ("2026-03-09", "2026-03-15", 2),
        ("2026-03-16", "2026-03-22", 1),
        ("2026-03-23", "2026-03-29", 0),
        ("2026-03-30", "2026-03-31", 0),
    ]
    # And months carry new customers and the repurchase rate as the board defines them
    quarter = {"from": "2026-01-01", "to": "2026-03-31"}
    new = await series(book, metric="new_customers", interval="month", **quarter)
    assert [p["value"] for p in new["points"]] == [0, 0, 2]
    again = await series(book, metric="repurchase_rate", interval="month", **quarter)
    assert [p["value"] for p in again["points"]] == [None, None, round(2 / 3, 4)]
    # And a year of days is too many points: a 422 naming the interval
    year = await book.crm.demo.client.get(
        "/api/v1/insights/series",
        params={"interval": "day", "from": "2025-01-01", "to": "2025-12-31"},
        headers=await book.crm.headers(),
    )
    assert year.status_code == 422 and "interval" in year.text


@ON_SQLITE
async def test_the_demo_chains_plugins_each_bring_a_tile_in_the_callers_scope(book: Book) -> None:
    # Given the demo chain, which runs membership, complaints, referrals, retention, trade-in
    # When HQ and SH001's manager read the board
    hq = await board(book)
    manager = await board(book, "store_manager")
    # Then each of those plugins has a tile, none failed
    tiles = {t["plugin"]: t for t in hq["plugins"]}
    assert {"membership", "complaints", "referrals", "retention", "tradein"} <= set(tiles)
    assert all(t["error"] is None for t in hq["plugins"])
    # And with nothing referred yet the funnel is zeros and its rate unknown
    assert tiles["referrals"]["figures"]["linked"] == 0
    assert tiles["referrals"]["figures"]["qualification_rate"] is None
    # And the manager's retention tile is their one store's (the route's own rule)
    mine = {t["plugin"]: t for t in manager["plugins"]}
    assert "retention" in mine and mine["retention"]["error"] is None
