"""Personal data: masking by role, reveal with a reason, export, erasure and the 360° view."""

from __future__ import annotations

from sqlalchemy import select

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from tests.crm.conftest import Crm

PERSON = {
    "name": "欧阳娜娜",
    "phone": "13812345678",
    "id_number": "11010519491231002X",
    "email": "nana@example.com",
    "address": "上海市徐汇区漕溪北路88号",
    "birthday": "1992-07-15",
}


async def _audit(crm: Crm, action: str) -> list[AuditEntry]:
    async with crm.demo.runtime.sessions() as session:
        with tenant_scope(crm.tenant_id):
            rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
            return list(rows.all())


async def test_each_role_sees_personal_fields_as_its_policy_says(crm: Crm) -> None:
    # Given a customer with every personal field and a vehicle
    customer = await crm.customer(**PERSON)
    vehicle = await crm.vehicle(customer["id"], plate="沪A12345")
    url = f"/api/v1/customers/{customer['id']}"
    # When an analyst, a technician and an advisor read the customer and the vehicle
    analyst = (await crm.demo.client.get(url, headers=await crm.headers("hq_analyst"))).json()
    tech = (await crm.demo.client.get(url, headers=await crm.headers("technician"))).json()
    advisor = (await crm.demo.client.get(url, headers=await crm.headers("service_advisor"))).json()
    analyst_vehicle = (
        await crm.demo.client.get(
            f"/api/v1/vehicles/{vehicle['id']}", headers=await crm.headers("hq_analyst")
        )
    ).json()
    # Then the analyst sees every personal field masked
    assert (analyst["name"], analyst["phone"]) == ("欧阳**", "+86 138****5678")
    assert analyst["id_number"] == "110105********002X"
    assert analyst["email"] == ["n***", "nana@example.com"][0] + "@example.com"
    assert analyst["birthday"] == "****-07-15" and analyst["address"].endswith("***")
    assert analyst_vehicle["plate"] == "沪A***45" and analyst_vehicle["vin"].startswith("LSV****")
    # And the technician still sees no name; the advisor sees name and phone, not the ID
    assert tech["name"] == "欧阳**"
    assert (advisor["name"], advisor["phone"]) == ("欧阳娜娜", "+8613812345678")
    assert advisor["id_number"] == "110105********002X"
    # And derived, non-personal facts are shown to everyone
    assert analyst["age_band"] == "90后"


async def test_reveal_returns_raw_values_and_is_audited(crm: Crm) -> None:
    # Given a customer
    customer = await crm.customer(**PERSON)
    url = f"/api/v1/customers/{customer['id']}/reveal"
    # When a store manager reveals the ID number with a reason
    response = await crm.demo.client.post(
        url,
        json={"fields": ["id_number", "phone"], "reason": "开具发票需要核对"},
        headers=await crm.headers("store_manager"),
    )
    # Then the raw values come back
    assert response.status_code == 200, response.text
    assert response.json()["fields"] == {
        "id_number": "11010519491231002X",
        "phone": "+8613812345678",
    }
    # And the audit log records who asked for which fields and why, without the values
    (entry,) = await _audit(crm, "customer.reveal")
    assert entry.resource_id == customer["id"]
    assert entry.detail == {"fields": ["id_number", "phone"], "reason": "开具发票需要核对"}
    assert "11010519491231002X" not in str(entry.detail)


async def test_reveal_needs_the_permission_and_a_real_reason(crm: Crm) -> None:
    # Given a customer
    customer = await crm.customer(**PERSON)
    url = f"/api/v1/customers/{customer['id']}/reveal"
    body = {"fields": ["phone"], "reason": "need it"}
    # When an advisor (no customers:reveal) asks, or a manager gives a too-short reason
    advisor = await crm.demo.client.post(
        url, json=body, headers=await crm.headers("service_advisor")
    )
    short = await crm.demo.client.post(
        url, json={**body, "reason": "why"}, headers=await crm.headers("store_manager")
    )
    unknown = await crm.demo.client.post(
        url, json={**body, "fields": ["salary"]}, headers=await crm.headers("store_manager")
    )
    # Then they are refused, and nothing was audited
    assert advisor.status_code == 403
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"
    assert unknown.status_code == 422 and "fields" in unknown.json()["errors"][0]["field"]
    assert await _audit(crm, "customer.reveal") == []


async def test_profile_gathers_vehicles_visits_totals_and_next_service(crm: Crm) -> None:
    # Given a customer with a vehicle and a completed order
    customer = await crm.customer(**PERSON)
    vehicle = await crm.vehicle(customer["id"], mileage_km=9_000)
    order = await crm.order("SH001", customer["id"], vehicle["id"])
    await crm.complete(order["id"], 10_000)
    # When the profile is read
    response = await crm.demo.client.get(
        f"/api/v1/customers/{customer['id']}/profile", headers=await crm.headers()
    )
    # Then it has the customer, vehicles, recent orders, totals and the next service due
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer"]["id"] == customer["id"]
    assert [v["id"] for v in body["vehicles"]] == [vehicle["id"]]
    assert [o["id"] for o in body["recent_orders"]] == [order["id"]]
    assert body["totals"]["visit_count"] == 1 and body["totals"]["total_spend"] == 12_000
    assert body["next_service_due"][0]["due_km"] == 15_000
    assert body["sections"] == []


async def test_export_holds_everything_raw_and_is_audited(crm: Crm) -> None:
    # Given a customer with a vehicle and an order
    customer = await crm.customer(**PERSON)
    vehicle = await crm.vehicle(customer["id"])
    order = await crm.order("SH001", customer["id"], vehicle["id"])
    # When HQ exports the customer's data
    response = await crm.demo.client.get(
        f"/api/v1/customers/{customer['id']}/export", headers=await crm.headers()
    )
    # Then every record is there with raw values, plugins' part included
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer"]["id_number"] == "11010519491231002X"
    assert body["vehicles"][0]["vin"] == vehicle["vin"]
    assert body["service_orders"][0]["id"] == order["id"]
    assert body["service_orders"][0]["lines"][0]["unit_price"] == 12_000
    assert body["plugins"] == {}
    # And the export is audited; an advisor may not export
    assert len(await _audit(crm, "customer.export")) == 1
    denied = await crm.demo.client.get(
        f"/api/v1/customers/{customer['id']}/export", headers=await crm.headers("service_advisor")
    )
    assert denied.status_code == 403


async def test_erase_anonymises_but_keeps_financial_history(crm: Crm) -> None:
    # Given a customer with a vehicle and a completed order
    customer = await crm.customer(**PERSON, tags=["vip"])
    vehicle = await crm.vehicle(customer["id"])
    order = await crm.order("SH001", customer["id"], vehicle["id"])
    await crm.complete(order["id"], 1_000)
    headers = await crm.headers()
    # When HQ erases the customer
    response = await crm.demo.client.post(
        f"/api/v1/customers/{customer['id']}/erase",
        json={"reason": "客户书面申请"},
        headers=headers,
    )
    # Then nothing personal remains, on the customer or the vehicle
    assert response.status_code == 200, response.text
    export = (
        await crm.demo.client.get(f"/api/v1/customers/{customer['id']}/export", headers=headers)
    ).json()
    for value in PERSON.values():
        assert value not in str(export)
    assert export["customer"]["phone"] is None and export["customer"]["tags"] == []
    assert export["vehicles"][0]["vin"] is None and export["vehicles"][0]["plate"] is None
    # And the order and its amounts stay, so the books still add up
    assert export["service_orders"][0]["total"] == 12_000
    assert response.json()["erased"] is True and response.json()["total_spend"] == 12_000
    # And the phone is free for a new customer, the erasure is audited and announced
    assert (await crm.customer(phone=PERSON["phone"]))["id"] != customer["id"]
    assert len(await _audit(crm, "customer.erase")) == 1
    assert await crm.events("customer.erased") == [{"customer_id": customer["id"]}]
    # And a second erase or a change is refused with the rule named
    again = await crm.demo.client.post(f"/api/v1/customers/{customer['id']}/erase", headers=headers)
    change = await crm.demo.client.patch(
        f"/api/v1/customers/{customer['id']}", json={"name": "回来"}, headers=headers
    )
    assert again.status_code == 409 and again.json()["code"] == "customer_erased"
    assert change.status_code == 409 and change.json()["code"] == "customer_erased"
