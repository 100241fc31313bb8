"""Stores: every staff member reads them; HQ opens, changes and closes them."""

from __future__ import annotations

from tests.crm.conftest import LINE, Crm

NEW_STORE = {
    "code": "NJ001",
    "name": "南京新街口店",
    "city": "南京",
    "hours": {"daily": "08:30-18:00", "sun": "closed"},
    "holidays": ["2026-10-01"],
}


async def test_every_role_lists_the_stores(crm: Crm) -> None:
    # When a technician lists the stores
    response = await crm.demo.client.get("/api/v1/stores", headers=await crm.headers("technician"))
    # Then all four, with code, city and hours, are there
    assert response.status_code == 200
    stores = response.json()["items"]
    assert [s["code"] for s in stores] == ["HZ001", "HZ101", "SH001", "SH002"]
    assert all({"id", "name", "city", "hours"} <= set(s) for s in stores)


async def test_hq_opens_changes_and_closes_a_store(crm: Crm) -> None:
    headers = await crm.headers()
    # When HQ opens a store
    opened = await crm.demo.client.post("/api/v1/stores", json=NEW_STORE, headers=headers)
    # Then its hours are stored in the canonical, every-day form, in the tenant's time zone
    assert opened.status_code == 201, opened.text
    store = opened.json()
    assert store["hours"]["mon"] == "08:30-18:00" and store["hours"]["sun"] == "closed"
    assert store["timezone"] == "Asia/Shanghai"
    # And the same code again is a conflict
    again = await crm.demo.client.post("/api/v1/stores", json=NEW_STORE, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "duplicate_store"
    # When HQ closes it
    closed = await crm.demo.client.patch(
        f"/api/v1/stores/{store['id']}", json={"active": False}, headers=headers
    )
    assert closed.status_code == 200 and closed.json()["active"] is False
    # Then no new service order can be opened there
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    refused = await crm.demo.client.post(
        "/api/v1/service-orders",
        json={
            "store_id": store["id"],
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "lines": [LINE],
        },
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "store_closed"


async def test_store_management_is_hq_only_and_validated(crm: Crm) -> None:
    # When a store manager tries to open a store, and HQ sends bad hours
    manager = await crm.demo.client.post(
        "/api/v1/stores", json=NEW_STORE, headers=await crm.headers("store_manager")
    )
    bad = await crm.demo.client.post(
        "/api/v1/stores",
        json={**NEW_STORE, "hours": {"mon": "25:00-26:00"}},
        headers=await crm.headers(),
    )
    # Then the manager is refused and the bad hours are named
    assert manager.status_code == 403
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "hours.mon"
