"""Attacks on the membership API: another tenant's ids, another store's records."""

from __future__ import annotations

from typing import Any

import pytest

from pitstop_membership.models import LedgerEntry, MemberAccount
from tests.crm.conftest import make_phone, make_plate, make_vin
from tests.plugins.membership.conftest import BASE, Club
from tests.support.census import Census

SHOP_OWNER = "owner@demo-shop.example"


async def _shop_member(club: Club) -> dict[str, str]:
    """A member of the demo shop (tenant B) with points and an order."""
    headers = {"Authorization": f"Bearer {await club.demo.token(SHOP_OWNER, 'demo-shop')}"}
    client = club.client
    enabled = await client.put(
        "/api/v1/plugins/membership", json={"enabled": True, "settings": {}}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    customer = await client.post(
        "/api/v1/customers",
        json={"name": "外店客", "phone": make_phone(77_000_001)},
        headers=headers,
    )
    assert customer.status_code == 201, customer.text
    vehicle = await client.post(
        "/api/v1/vehicles",
        json={
            "customer_id": customer.json()["id"],
            "vin": make_vin(77_001),
            "plate": make_plate(77_001),
        },
        headers=headers,
    )
    assert vehicle.status_code == 201, vehicle.text
    store = (await client.get("/api/v1/stores", headers=headers)).json()["items"][0]["id"]
    order = await client.post(
        "/api/v1/service-orders",
        json={
            "store_id": store,
            "customer_id": customer.json()["id"],
            "vehicle_id": vehicle.json()["id"],
            "lines": [
                {
                    "kind": "labor",
                    "category": "repair",
                    "description": "修理",
                    "quantity": 1,
                    "unit_price": 50_000,
                }
            ],
        },
        headers=headers,
    )
    assert order.status_code == 201, order.text
    return {"customer_id": customer.json()["id"], "order_id": order.json()["id"]}


async def _rows(census: Census) -> tuple[int, int]:
    """Accounts and ledger entries in the whole database (both tenants)."""
    counts = await census([MemberAccount.__tablename__, LedgerEntry.__tablename__])
    return counts[MemberAccount.__tablename__], counts[LedgerEntry.__tablename__]


ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "", None),
    ("get", "/ledger", None),
    ("post", "/enrol", None),
    ("post", "/redeem", {"points": 1, "reason": "x"}),
    ("post", "/adjust", {"points": 10, "reason": "x"}),
    ("put", "/tier", {"tier": "gold", "until": "2026-12-31", "reason": "x"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_another_tenants_customer_is_not_found_and_nothing_is_written(
    club: Club, method: str, suffix: str, body: dict[str, Any] | None, census: Census
) -> None:
    # Given a member of the demo shop (tenant B)
    theirs = await _shop_member(club)
    before = await _rows(census)
    # When the chain's HQ admin (tenant A) calls the route with B's customer id
    kwargs = {"json": body} if body is not None else {}
    response = await getattr(club.client, method)(
        f"{BASE}/accounts/{theirs['customer_id']}{suffix}", headers=await club.headers(), **kwargs
    )
    # Then it is 404 and no row was written anywhere
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "customer_not_found"
    assert await _rows(census) == before


async def test_redemption_naming_another_tenants_order_names_order_id(
    club: Club, census: Census
) -> None:
    # Given a chain member with points and a shop order (tenant B)
    theirs = await _shop_member(club)
    who = await club.customer()
    await club.spend(who, 30_000)
    before = await _rows(census)
    # When the chain redeems against B's order
    response = await club.redeem(who[0], 10, order_id=theirs["order_id"])
    # Then 422 naming order_id, nothing written
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "order_id"
    assert await _rows(census) == before


async def test_store_scoped_advisor_cannot_spend_at_another_store(
    club: Club, census: Census
) -> None:
    # Given a member, and an order of theirs at SH002
    who = await club.customer()
    await club.spend(who, 30_000)
    order = await club.crm.order("SH002", who[0], who[1])
    before = await _rows(census)
    # When SH001's advisor redeems at SH002, or against the SH002 order
    at_store = await club.redeem(
        who[0], 10, role="service_advisor", store_id=club.crm.stores["SH002"]
    )
    on_order = await club.redeem(who[0], 10, role="service_advisor", order_id=order["id"])
    # Then each is a 422 naming the field, and nothing is written
    assert at_store.status_code == 422 and at_store.json()["errors"][0]["field"] == "store_id"
    assert on_order.status_code == 422 and on_order.json()["errors"][0]["field"] == "order_id"
    assert await _rows(census) == before
    # And at their own store it works, recorded at SH001
    own = await club.redeem(who[0], 10, role="service_advisor")
    assert own.status_code == 200 and own.json()["entry"]["store_id"] == club.crm.stores["SH001"]


async def test_store_manager_sees_only_their_stores_in_the_report(club: Club) -> None:
    # Given points earned at SH001 and at SH002
    who = await club.customer()
    await club.spend(who, 10_000, store="SH001")
    await club.spend(who, 20_000, store="SH002")
    # When SH001's manager and HQ read the liability report
    url = f"{BASE}/reports/liability"
    mine = await club.client.get(url, headers=await club.headers("store_manager"))
    everyone = await club.client.get(url, headers=await club.headers())
    # Then the manager sees SH001 alone; HQ sees both
    assert [s["store_id"] for s in mine.json()["stores"]] == [club.crm.stores["SH001"]]
    assert len(everyone.json()["stores"]) == 2


async def test_another_tenants_report_is_empty_of_our_stores(club: Club) -> None:
    # Given chain points, and the shop's owner reading their own report
    who = await club.customer()
    await club.spend(who, 10_000)
    await _shop_member(club)
    headers = {"Authorization": f"Bearer {await club.demo.token(SHOP_OWNER, 'demo-shop')}"}
    response = await club.client.get(f"{BASE}/reports/liability", headers=headers)
    # Then none of the chain's stores or points appear
    assert response.status_code == 200
    assert response.json()["stores"] == [] and response.json()["cross_store"] == []
