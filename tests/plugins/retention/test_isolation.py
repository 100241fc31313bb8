"""Isolation as an attacker tries it: the demo chain's staff with the demo shop's task,
survey and store ids on every retention route (404, nothing changed, nothing listed)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from pitstop_retention.models import StateChange, StoreInterval, Survey, Task, VehicleDue
from tests.crm.conftest import make_plate, make_vin
from tests.support.demo import Demo

SHOP_ADMIN = "owner@demo-shop.example"


async def _enable(demo: Demo, headers: dict[str, str]) -> None:
    response = await demo.client.put(
        "/api/v1/plugins/retention", json={"enabled": True}, headers=headers
    )
    assert response.status_code == 200, response.text


async def _shop_rows(demo: Demo, runtime: Runtime) -> dict[str, str]:
    """A customer, car, due row, open call, pending survey and store interval of the shop."""
    shop = {"Authorization": f"Bearer {await demo.token(SHOP_ADMIN, 'demo-shop')}"}
    await _enable(demo, shop)
    store = (await demo.client.get("/api/v1/stores", headers=shop)).json()["items"][0]["id"]
    customer = await demo.client.post(
        "/api/v1/customers", headers=shop, json={"name": "刘备", "phone": "13700009998"}
    )
    vehicle = await demo.client.post(
        "/api/v1/vehicles",
        headers=shop,
        json={
            "customer_id": customer.json()["id"],
            "vin": make_vin(902),
            "plate": make_plate(902, "川A"),
        },
    )
    assert vehicle.status_code == 201, vehicle.text
    customer_id, store_id = uuid.UUID(customer.json()["id"]), uuid.UUID(store)
    now = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    async with runtime.sessions() as session, session.begin():
        tenant = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-shop"))).one()
        with tenant_scope(tenant):
            order_id = uuid.uuid4()
            task = Task(
                kind="callback",
                dedupe_key="callback:x",
                customer_id=customer_id,
                store_id=store_id,
                due_at=now,
                created_at=now,
            )
            survey = Survey(
                order_id=order_id, customer_id=customer_id, store_id=store_id, created_at=now
            )
            due = VehicleDue(vehicle_id=uuid.UUID(vehicle.json()["id"]), customer_id=customer_id,
                             store_id=store_id, cycle="since:2026-01-01",
                             last_service_on=dt.date(2026, 1, 1), km_per_day=40.0,
                             pace_source="default", due_date=dt.date(2026, 3, 1),
                             reason="date", cycle_days=59, computed_at=now)  # fmt: skip
            own = StoreInterval(store_id=store_id, km=4_000, months=4, updated_at=now)
            session.add_all([task, survey, due, own])
            change = StateChange(customer_id=customer_id, state="at_risk", reasons=[], at=now)
            session.add(change)
            await session.flush()
            return {"task": str(task.id), "survey": str(survey.id), "store": store,
                    "customer": str(customer_id)}  # fmt: skip


async def _shop_state(runtime: Runtime) -> list[Any]:
    async with runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-shop"))).one()
        with tenant_scope(tenant):
            tasks = (await session.scalars(select(Task))).all()
            surveys = (await session.scalars(select(Survey))).all()
            own = (await session.scalars(select(StoreInterval))).all()
            return (
                [(t.status, t.attempts) for t in tasks]
                + [s.answered_at for s in surveys]
                + [(i.km, i.months) for i in own]
            )


async def test_another_tenants_ids_are_not_found_on_any_retention_route(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the shop's open call, pending survey and a car overdue at its store
    ids = await _shop_rows(demo, runtime)
    before = await _shop_state(runtime)
    chain = await demo.headers()
    await _enable(demo, chain)
    # When the chain's HQ admin and advisor aim at them
    attempts = [
        ("POST", f"/tasks/{ids['task']}/outcome", {"outcome": "reached"}),
        ("POST", f"/surveys/{ids['survey']}", {"csi": 1}),
        ("GET", f"/tasks?store_id={ids['store']}", None),
        ("GET", f"/surveys?store_id={ids['store']}", None),
        ("GET", f"/due?store_id={ids['store']}", None),
        ("GET", f"/kpis?store_id={ids['store']}", None),
        ("GET", f"/customers/{ids['customer']}/states", None),
        ("GET", f"/states/weekly?store_id={ids['store']}", None),
    ]
    answers = []
    for role in ("hq_admin", "service_advisor"):
        headers = await demo.headers(role)
        for method, path, body in attempts:
            response = await demo.client.request(
                method, f"/api/v1/retention{path}", json=body, headers=headers
            )
            answers.append(response.status_code)
    # And HQ aims at the shop's store's own interval
    interval = f"/api/v1/retention/store-intervals/{ids['store']}"
    for method, body in (("PUT", {"km": 3_000, "months": 3}), ("DELETE", None)):
        response = await demo.client.request(method, interval, json=body, headers=chain)
        answers.append(response.status_code)
    # Then each is a 404, the chain's own lists hold nothing of the shop's, nothing changed
    assert answers == [404] * len(answers)
    intervals = await demo.client.get("/api/v1/retention/store-intervals", headers=chain)
    assert intervals.json()["stores"] == []
    for path in ("/tasks", "/surveys", "/due?window=365d&state=overdue"):
        listed = await demo.client.get(f"/api/v1/retention{path}", headers=chain)
        assert listed.status_code == 200 and listed.json()["items"] == [], path
    assert await _shop_state(runtime) == before
    # And the chain's weekly states count none of the shop's (its customer's slide in March)
    weekly = await demo.client.get(
        "/api/v1/retention/states/weekly?from=2026-03-02&to=2026-03-15", headers=chain
    )
    assert [w["at_risk"] for w in weekly.json()["weeks"]] == [0, 0]
