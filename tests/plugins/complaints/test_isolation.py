"""Isolation as an attacker tries it: another tenant's ids on every route (404, nothing
written), and a store-scoped role against another store's complaint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.complaints.conftest import FAST, Desk

SHOP_ADMIN = "owner@demo-shop.example"

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/{id}", None),
    ("GET", "/{id}/activities", None),
    ("POST", "/{id}/acknowledge", {"note": "x"}),
    ("POST", "/{id}/status", {"status": "investigating"}),
    ("POST", "/{id}/reply", {"note": "x"}),
    ("POST", "/{id}/assign", {"staff_id": "{staff}"}),
    ("POST", "/{id}/resolve", {"resolution": "x", "first_contact": True}),
    ("POST", "/{id}/survey", {"satisfaction": 1, "resolved": False}),
    ("POST", "/{id}/close", {}),
    ("POST", "/{id}/reopen", {}),
    ("POST", "/notifications/{notification}/read", None),
]


async def _shop_headers(desk: Desk) -> dict[str, str]:
    token = await desk.demo.token(SHOP_ADMIN, tenant="demo-shop")
    headers = {"Authorization": f"Bearer {token}"}
    response = await desk.demo.client.put(
        "/api/v1/plugins/complaints", json={"enabled": True}, headers=headers
    )
    assert response.status_code == 200, response.text
    return headers


async def _snapshot(desk: Desk, complaint_id: str) -> tuple[Any, ...]:
    body = await desk.get(complaint_id)
    history = (await desk.call("GET", f"/{complaint_id}/activities")).json()
    inbox = (await desk.call("GET", f"/notifications?complaint_id={complaint_id}")).json()
    return body, len(history), [n["read_at"] for n in inbox["items"]]


async def _target(desk: Desk, store: str) -> dict[str, str]:
    routing = {"routing": [{"role": "service_advisor"}]}
    assert (await desk.configure({**FAST, **routing})).status_code == 200
    complaint = await desk.log("A", store=store)
    inbox = (await desk.call("GET", f"/notifications?complaint_id={complaint['id']}")).json()
    return {
        "id": complaint["id"],
        "notification": inbox["items"][0]["id"],
        "staff": complaint["assignee_id"],
    }


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_another_tenants_complaint_is_404_and_untouched(
    desk: Desk, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # Given a complaint of the demo chain and an admin of the demo shop
    target = await _target(desk, "SH001")
    before = await _snapshot(desk, target["id"])
    shop = await _shop_headers(desk)
    # When the shop's admin uses the chain's ids
    response = await desk.demo.client.request(
        method, f"/api/v1/complaints{_fill(path, target)}", json=_fill(body, target), headers=shop
    )
    # Then it is a 404 and the chain's complaint is exactly as it was
    assert response.status_code == 404, response.text
    assert await _snapshot(desk, target["id"]) == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_another_stores_complaint_is_404_for_a_store_scoped_role(
    desk: Desk, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # Given a complaint at HZ001 and SH001's store manager
    target = await _target(desk, "HZ001")
    before = await _snapshot(desk, target["id"])
    # When the SH001 manager tries it
    response = await desk.call(
        method, _fill(path, target), "store_manager", json=_fill(body, target)
    )
    # Then it does not exist for them, and nothing changed
    assert response.status_code == 404, response.text
    assert await _snapshot(desk, target["id"]) == before


async def test_lists_and_kpis_show_only_the_callers_tenant_and_stores(desk: Desk) -> None:
    mine = await desk.log("B", store="SH001")
    theirs = await desk.log("B", store="HZ001")
    # The SH001 manager's list holds SH001's complaint only
    listed = (await desk.call("GET", "", "store_manager")).json()
    assert [c["id"] for c in listed["items"]] == [mine["id"]]
    assert (
        await desk.call("GET", "", "store_manager", params={"store_id": desk.crm.stores["HZ001"]})
    ).json()["items"] == []
    # HQ sees both
    assert {c["id"] for c in (await desk.call("GET", "")).json()["items"]} == {
        mine["id"],
        theirs["id"],
    }
    # The shop sees none of them, not even in its KPIs, and the chain's store is unknown there
    shop = await _shop_headers(desk)
    client = desk.demo.client
    assert (await client.get("/api/v1/complaints", headers=shop)).json()["items"] == []
    assert (await client.get("/api/v1/complaints/kpis", headers=shop)).json()["count"] == 0
    kpis = await client.get(
        "/api/v1/complaints/kpis", params={"store": desk.crm.stores["SH001"]}, headers=shop
    )
    assert kpis.status_code == 404
    scoped = await desk.call(
        "GET", "/kpis", "store_manager", params={"store": desk.crm.stores["HZ001"]}
    )
    assert scoped.status_code == 404


async def test_intake_refuses_another_tenants_or_stores_ids_and_writes_nothing(
    desk: Desk,
) -> None:
    chain_customer = await desk.customer()
    shop = await _shop_headers(desk)
    stores = (await desk.demo.client.get("/api/v1/stores", headers=shop)).json()["items"]
    body = {
        "customer_id": chain_customer,
        "store_id": stores[0]["id"],
        "severity": "A",
        "category": "other",
        "channel": "walk_in",
        "description": "x",
    }
    # The shop cannot log a complaint about the chain's customer
    response = await desk.demo.client.post("/api/v1/complaints", json=body, headers=shop)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_id"
    # Nor can the chain use the shop's store
    response = await desk.call("POST", "", json={**body, "store_id": stores[0]["id"]})
    assert response.status_code == 422
    # An SH001 advisor cannot log one at HZ001
    body = {**body, "store_id": desk.crm.stores["HZ001"]}
    response = await desk.call("POST", "", "service_advisor", json=body)
    assert response.status_code == 422
    assert await desk.count_events("complaint.created") == 0


async def test_a_tenant_without_the_plugin_gets_plugin_disabled(desk: Desk) -> None:
    token = await desk.demo.token(SHOP_ADMIN, tenant="demo-shop")
    response = await desk.demo.client.get(
        "/api/v1/complaints", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "plugin_disabled"
