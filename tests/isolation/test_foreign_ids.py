"""An attacker's sweep: every route with an id in its path, as every role of tenant A,
aimed at tenant B's real records. Nothing of B is ever shown, and nothing of B changes.

Generated from the app's routes (core and every installed plugin), so a new route joins
the sweep without anyone editing this file. Bodies are empty objects: a write route may
answer 422 before it even looks the id up, which is fine — what must never happen is a
2xx, or any row of B changing.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Litestar
from sqlalchemy import func, select

from pitstop.access.permissions import ROLE_TEMPLATES
from pitstop.db.base import Base, TenantModel
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from tests.crm.conftest import make_plate, make_vin
from tests.support.demo import Demo

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


async def _shop_book(demo: Demo) -> tuple[dict[str, str], dict[str, str]]:
    """The demo shop's owner opens a customer, a vehicle, a completed order and a complaint."""
    token = await demo.token("owner@demo-shop.example", tenant="demo-shop")
    headers = {"Authorization": f"Bearer {token}"}

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await demo.client.request(
            "PUT" if path.startswith("/api/v1/plugins") else "POST",
            path,
            json=body,
            headers=headers,
        )
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    for plugin in demo.runtime.plugins.plugins:
        await post(f"/api/v1/plugins/{plugin}", {"enabled": True})
    store = (await demo.client.get("/api/v1/stores", headers=headers)).json()["items"][0]["id"]
    customer = await post("/api/v1/customers", {"name": "刘备", "phone": "13700009999"})
    vehicle = await post(
        "/api/v1/vehicles",
        {"customer_id": customer["id"], "vin": make_vin(901), "plate": make_plate(901, "川A")},
    )
    line = {"kind": "part", "category": "tyre", "description": "轮胎", "quantity": 1}
    order = await post(
        "/api/v1/service-orders",
        {
            "store_id": store,
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "lines": [{**line, "unit_price": 80_000}],
        },
    )
    await post(f"/api/v1/service-orders/{order['id']}/complete", {"mileage_km": 1200})
    complaint = await post(
        "/api/v1/complaints",
        {
            "customer_id": customer["id"],
            "store_id": store,
            "severity": "B",
            "category": "price",
            "channel": "phone",
            "description": "价格不透明",
        },
    )
    ids = {
        "customer": customer["id"],
        "vehicle": vehicle["id"],
        "order": order["id"],
        "complaint": complaint["id"],
        "store": store,
    }
    return ids, headers


def _id_for(param: str, ids: dict[str, str]) -> str:
    for kind, value in ids.items():
        if param.startswith(kind):
            return value
    return ids["customer"]


def _targets(app: Litestar, ids: dict[str, str]) -> list[tuple[str, str]]:
    targets = []
    for route in app.routes:
        if not PARAM.search(route.path) or not route.path.startswith("/api/v1"):
            continue
        for method, entry in getattr(route, "route_handler_map", {}).items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            if method in ("HEAD", "OPTIONS") or handler.opt.get("platform"):
                continue
            path = PARAM.sub(lambda m: _id_for(m.group(1), ids), route.path)
            targets.append((method, path))
    return sorted(set(targets))


async def _snapshot(runtime: Runtime, tenant_id: uuid.UUID) -> dict[str, int]:
    """The tenant's row count in every tenant table (through the mapped classes, which the
    ORM wall filters; a bare ``Table`` is refused under a tenant)."""
    models = [m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantModel)]
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            return {
                model.__tablename__: int(
                    await session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in models
            }


async def test_no_role_of_one_tenant_reaches_another_tenants_records(
    demo: Demo, app: Litestar, runtime: Runtime
) -> None:
    # Given the demo shop's records, every plugin on, and a snapshot of all its rows
    ids, _ = await _shop_book(demo)
    async with runtime.sessions() as session:
        shop = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-shop"))).one()
    before = await _snapshot(runtime, shop)
    targets = _targets(app, ids)
    assert len(targets) >= 30
    # When every role of the demo chain calls every id route with the shop's ids
    breaches = []
    for role in ROLE_TEMPLATES:
        headers = await demo.headers(role)
        for method, path in targets:
            response = await demo.client.request(method, path, headers=headers, json={})
            # (an id the caller sent may be echoed back; any other id of the shop is a leak)
            leaked = any(v in response.text and v not in path for v in ids.values())
            if response.status_code < 300 or response.status_code >= 500 or leaked:
                breaches.append((role, method, path, response.status_code))
    # Then none succeeded or echoed a shop id, and not one of the shop's rows changed
    assert breaches == []
    assert await _snapshot(runtime, shop) == before
