"""CRM isolation, tested as an attacker would: another tenant's ids in every CRM route.

The attacker is the demo chain's HQ admin (every CRM permission); the victim is the demo
shop. Each route with an id in its path is called with the shop's ids and must answer 404
without writing anything; bodies that reference the shop's rows must be refused (4xx), also
without writing anything. Runs on SQLite and on PostgreSQL (under RLS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from pitstop.crm.models import CRM_TABLES
from tests.crm.conftest import LINE, Crm, make_plate, make_vin
from tests.support.census import Census
from tests.support.demo import Demo

SHOP_OWNER = "owner@demo-shop.example"
COUNTED = (*CRM_TABLES, "outbox_events", "audit_log")

BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/customers/{customer_id:uuid}"): None,
    ("PATCH", "/api/v1/customers/{customer_id:uuid}"): {"name": "改名"},
    ("POST", "/api/v1/customers/{customer_id:uuid}/reveal"): {
        "fields": ["phone"],
        "reason": "just looking",
    },
    ("GET", "/api/v1/customers/{customer_id:uuid}/profile"): None,
    ("GET", "/api/v1/customers/{customer_id:uuid}/export"): None,
    ("GET", "/api/v1/customers/{customer_id:uuid}/consents"): None,
    ("PUT", "/api/v1/customers/{customer_id:uuid}/consents"): {
        "consents": [
            {"purpose": "marketing", "channel": "sms", "granted": True, "source": "front_desk"}
        ]
    },
    ("POST", "/api/v1/customers/{customer_id:uuid}/erase"): {"reason": "attack"},
    ("GET", "/api/v1/vehicles/{vehicle_id:uuid}"): None,
    ("PATCH", "/api/v1/vehicles/{vehicle_id:uuid}"): {"colour": "黑色"},
    ("POST", "/api/v1/vehicles/{vehicle_id:uuid}/mileage"): {"mileage_km": 999_999},
    ("GET", "/api/v1/vehicles/{vehicle_id:uuid}/history"): None,
    ("GET", "/api/v1/service-orders/{order_id:uuid}"): None,
    ("POST", "/api/v1/service-orders/{order_id:uuid}/start"): None,
    ("POST", "/api/v1/service-orders/{order_id:uuid}/complete"): {"mileage_km": 999_999},
    ("POST", "/api/v1/service-orders/{order_id:uuid}/refund"): {"reason": "attack"},
    ("POST", "/api/v1/service-orders/{order_id:uuid}/vouchers"): {"code": "ABCDEFGHJKMN"},
}


@pytest.fixture
async def crm(demo: Demo) -> Crm:
    helper = Crm(demo)
    await helper.load_stores()
    return helper


@dataclass
class Victim:
    store_id: str
    customer_id: str
    vehicle_id: str
    order_id: str


def crm_routes_with_ids(app: Litestar) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        if not re.match(r"^/api/v1/(customers|vehicles|service-orders)/\{", route.path):
            continue
        for method in getattr(route, "route_handler_map", {}):
            if method not in ("HEAD", "OPTIONS"):
                routes.append((method, route.path))
    return sorted(routes)


async def _victim(demo: Demo) -> Victim:
    """The demo shop's own customer, vehicle and completed order, made through its API."""
    headers = {"Authorization": f"Bearer {await demo.token(SHOP_OWNER, 'demo-shop')}"}
    client = demo.client
    store = (await client.get("/api/v1/stores", headers=headers)).json()["items"][0]["id"]
    customer = await client.post(
        "/api/v1/customers", json={"name": "刘客户", "phone": "13511112222"}, headers=headers
    )
    vehicle = await client.post(
        "/api/v1/vehicles",
        json={
            "customer_id": customer.json()["id"],
            "vin": make_vin(77),
            "plate": make_plate(77, "川A"),
        },
        headers=headers,
    )
    order = await client.post(
        "/api/v1/service-orders",
        json={
            "store_id": store,
            "customer_id": customer.json()["id"],
            "vehicle_id": vehicle.json()["id"],
            "lines": [LINE],
        },
        headers=headers,
    )
    assert order.status_code == 201, order.text
    await client.post(
        f"/api/v1/service-orders/{order.json()['id']}/complete",
        json={"mileage_km": 100},
        headers=headers,
    )
    return Victim(store, customer.json()["id"], vehicle.json()["id"], order.json()["id"])


async def _snapshot(census: Census) -> dict[str, int]:
    """Row counts of every CRM, outbox and audit table, across all tenants."""
    return await census(COUNTED)


async def test_every_crm_route_answers_404_for_another_tenants_ids(
    crm: Crm, app: Litestar, census: Census
) -> None:
    # Given the shop's customer, vehicle and order, and the chain's HQ admin as attacker
    victim = await _victim(crm.demo)
    headers = await crm.headers("hq_admin")
    routes = crm_routes_with_ids(app)
    assert set(routes) == set(BODIES), "a CRM route with an id needs an attack body here"
    before = await _snapshot(census)
    ids = {
        "customer_id": victim.customer_id,
        "vehicle_id": victim.vehicle_id,
        "order_id": victim.order_id,
    }
    answers = {}
    for method, path in routes:
        # When the attacker calls the route with the shop's id
        url = re.sub(r"\{(\w+):uuid\}", lambda m: ids[m.group(1)], path)
        response = await crm.demo.client.request(
            method, url, json=BODIES[(method, path)], headers=headers
        )
        answers[(method, path)] = response.status_code
    # Then every route answers 404, and nothing anywhere was written
    assert {route: 404 for route in routes} == answers
    assert await _snapshot(census) == before


async def test_bodies_referencing_another_tenants_rows_are_refused(
    crm: Crm, census: Census
) -> None:
    # Given the shop's rows, and the chain's own customer and vehicle
    victim = await _victim(crm.demo)
    own = await crm.customer()
    own_vehicle = await crm.vehicle(own["id"])
    headers = await crm.headers("hq_admin")
    before = await _snapshot(census)
    order = {
        "store_id": crm.stores["SH001"],
        "customer_id": own["id"],
        "vehicle_id": own_vehicle["id"],
        "lines": [LINE],
    }
    attacks = [
        (
            "POST",
            "/api/v1/customers",
            {"name": "x", "phone": "13622223333", "home_store_id": victim.store_id},
        ),
        (
            "POST",
            "/api/v1/vehicles",
            {"customer_id": victim.customer_id, "vin": make_vin(78), "plate": make_plate(78)},
        ),
        ("PATCH", f"/api/v1/vehicles/{own_vehicle['id']}", {"customer_id": victim.customer_id}),
        ("POST", "/api/v1/service-orders", {**order, "store_id": victim.store_id}),
        ("POST", "/api/v1/service-orders", {**order, "customer_id": victim.customer_id}),
        ("POST", "/api/v1/service-orders", {**order, "vehicle_id": victim.vehicle_id}),
    ]
    for method, url, body in attacks:
        # When the chain posts a body that points at the shop's rows
        response = await crm.demo.client.request(method, url, json=body, headers=headers)
        # Then it is refused as bad input naming the field, as if the row did not exist
        assert response.status_code == 422, (url, body, response.status_code)
        assert response.json()["errors"][0]["field"] in body
    # And nothing was written
    assert await _snapshot(census) == before


async def test_list_filters_with_another_tenants_ids_return_nothing(crm: Crm) -> None:
    # Given the shop's rows
    victim = await _victim(crm.demo)
    headers = await crm.headers("hq_admin")
    urls = [
        f"/api/v1/customers?store_id={victim.store_id}",
        "/api/v1/customers?q=13511112222",
        f"/api/v1/customers?q={make_plate(77, '川A')}",
        f"/api/v1/vehicles?customer_id={victim.customer_id}",
        f"/api/v1/vehicles?q={make_vin(77)}",
        f"/api/v1/service-orders?customer_id={victim.customer_id}",
        f"/api/v1/service-orders?store_id={victim.store_id}",
    ]
    for url in urls:
        # When the chain filters its lists by the shop's ids and keys
        response = await crm.demo.client.get(url, headers=headers)
        # Then the lists are empty
        assert response.status_code == 200, url
        assert response.json()["items"] == [], url
