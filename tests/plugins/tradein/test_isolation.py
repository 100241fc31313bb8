"""Isolation as an attacker tries it: the demo shop's HQ admin with the demo chain's
lead, appraisal and offer ids on every route (404, nothing written; the recon-order route
too), the chain's vehicle in a body, and an advisor of another store against a lead of
SH001."""

from __future__ import annotations

from typing import Any

from tests.crm.conftest import make_phone, make_plate, make_vin
from tests.support.demo import Demo

SHOP_ADMIN = "owner@demo-shop.example"
SHOP_ADVISOR = "advisor@demo-shop.example"
HZ_ADVISOR = "advisor.hz001@demo-chain.example"
INSPECTION = {
    p: {"grade": 4} for p in ("exterior", "interior", "mechanical", "tyres", "electrical")
}
CAMRY = {"make": "Toyota", "model": "Camry", "year": 2022, "purchase_date": "2022-03-01"}

ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/leads/{lead}", None),
    ("GET", "/leads/{lead}/appraisals", None),
    ("GET", "/leads/{lead}/offers", None),
    ("POST", "/leads/{lead}/appraisals", {"odometer_km": 90_000, "inspection": INSPECTION}),
    ("POST", "/leads/{lead}/offers", {"amount": 100}),
    ("POST", "/leads/{lead}/offers/{offer}/approve", {}),
    ("POST", "/leads/{lead}/offers/{offer}/reject", {}),
    ("POST", "/leads/{lead}/offers/{offer}/accept", {}),
    ("POST", "/leads/{lead}/offers/{offer}/decline", {}),
    ("POST", "/leads/{lead}/purchase", {"price": 1, "replacement": {"bought_from_us": False}}),
    ("POST", "/leads/{lead}/reconditioned", {}),
    ("POST", "/leads/{lead}/sold", {"price": 1, "channel": "x"}),
    ("POST", "/leads/{lead}/lost", {"reason": "x"}),
    ("POST", "/appraisals/{appraisal}/recon-order", {}),
]


async def _enable(demo: Demo, headers: dict[str, str]) -> None:
    response = await demo.client.put(
        "/api/v1/plugins/tradein", json={"enabled": True}, headers=headers
    )
    assert response.status_code == 200, response.text


async def _chain_offer(demo: Demo) -> dict[str, str]:
    """A lead of the chain's SH001 with an appraisal and an offer awaiting approval."""
    admin = await demo.headers()
    await _enable(demo, admin)
    table = {"rows": [{"make": "Toyota", "model": "Camry", "year": 2022, "base_value": 20_000_000}]}
    assert (
        await demo.client.put("/api/v1/tradein/price-table", json=table, headers=admin)
    ).status_code == 200
    customer = await demo.client.post(
        "/api/v1/customers", headers=admin, json={"name": "李四", "phone": make_phone(9101)}
    )
    vehicle = await demo.client.post(
        "/api/v1/vehicles",
        headers=admin,
        json={
            "customer_id": customer.json()["id"],
            "vin": make_vin(9101),
            "plate": make_plate(9101),
            **CAMRY,
        },
    )
    assert vehicle.status_code == 201, vehicle.text
    advisor = await demo.headers("service_advisor")
    lead = await demo.client.post(
        "/api/v1/tradein/leads",
        headers=advisor,
        json={"vehicle_id": vehicle.json()["id"], "source": "walk_in"},
    )
    assert lead.status_code == 201, lead.text
    base = f"/api/v1/tradein/leads/{lead.json()['id']}"
    appraisal = await demo.client.post(
        f"{base}/appraisals",
        headers=advisor,
        json={"odometer_km": 45_000, "inspection": INSPECTION},
    )
    offer = await demo.client.post(
        f"{base}/offers", headers=advisor, json={"amount": appraisal.json()["valuation"] * 2}
    )
    assert offer.json()["status"] == "awaiting_approval", offer.text
    return {
        "lead": lead.json()["id"],
        "offer": offer.json()["id"],
        "vehicle": vehicle.json()["id"],
        "appraisal": appraisal.json()["id"],
    }


async def _state(demo: Demo, ids: dict[str, str]) -> tuple[Any, ...]:
    admin, base = await demo.headers(), f"/api/v1/tradein/leads/{ids['lead']}"
    lead = (await demo.client.get(base, headers=admin)).json()
    appraisals = (await demo.client.get(f"{base}/appraisals", headers=admin)).json()
    offers = (await demo.client.get(f"{base}/offers", headers=admin)).json()
    return lead, appraisals, offers


async def _attack(
    demo: Demo, staff: dict[str, str], ids: dict[str, str], approver: dict[str, str] | None
) -> list[str]:
    """Every route with the target's ids, each by someone whose role may call it (an
    approver for approve/reject, when there is one); the ones that did not answer 404."""
    leaks = []
    for method, template, body in ROUTES:
        approving = template.endswith(("/approve", "/reject"))
        headers = approver if approving else staff
        if headers is None:
            continue
        path = "/api/v1/tradein" + template.format(**ids)
        response = await demo.client.request(method, path, json=body, headers=headers)
        if response.status_code != 404:
            leaks.append(f"{method} {template}: {response.status_code}")
    return leaks


CONSOLE: list[tuple[str, str, Any]] = [
    ("GET", "/leads/{lead}", None),
    ("POST", "/leads/{lead}/appraise", {"odometer_km": "90000", "inspection.exterior": "4"}),
    ("POST", "/leads/{lead}/offer", {"amount": "1"}),
    ("POST", "/leads/{lead}/offers/{offer}/approve", {}),
    ("POST", "/leads/{lead}/offers/{offer}/reject", {}),
    ("POST", "/leads/{lead}/purchase", {"price": "1"}),
]
"""The console's lead page and its forms (``console_lead``), under /console/tradein, each
tried by someone of the other tenant whose role may use it."""


async def test_another_tenants_ids_are_not_found_on_any_route(app: Any, demo: Demo) -> None:
    # Given a lead, appraisal and offer of the demo chain, and the shop's admin
    ids = await _chain_offer(demo)
    before = await _state(demo, ids)
    shop = {"Authorization": f"Bearer {await demo.token(SHOP_ADMIN, 'demo-shop')}"}
    advisor = {"Authorization": f"Bearer {await demo.token(SHOP_ADVISOR, 'demo-shop')}"}
    await _enable(demo, shop)
    # When the shop's staff try them on every route, Then each is a 404
    assert await _attack(demo, advisor, ids, shop) == []
    # And on the console's lead page and each of its forms
    from tests.console.support import signed_in

    at_desk = await signed_in(app, demo, SHOP_ADVISOR, tenant="demo-shop")
    at_hq = await signed_in(app, demo, SHOP_ADMIN, tenant="demo-shop")
    for method, template, form in CONSOLE:
        path = "/console/tradein" + template.format(**ids)
        console = at_hq if template.endswith(("/approve", "/reject")) else at_desk
        answer = await (console.get(path) if method == "GET" else console.post(path, form))
        assert answer.status_code == 404, f"{method} {template}: {answer.status_code}"
    # And the chain's vehicle in a body is no vehicle of the shop's
    stolen = await demo.client.post(
        "/api/v1/tradein/leads",
        headers=advisor,
        json={"vehicle_id": ids["vehicle"], "source": "walk_in"},
    )
    assert stolen.status_code == 422, stolen.text
    assert stolen.json()["errors"][0]["field"] == "vehicle_id"
    # And the shop's lists show nothing of the chain's, and nothing changed there
    listed = await demo.client.get("/api/v1/tradein/leads", headers=advisor)
    assert listed.json()["items"] == []
    assert await _state(demo, ids) == before


async def test_another_stores_staff_cannot_reach_a_lead(demo: Demo) -> None:
    # Given a lead of SH001, and an advisor who works at HZ001 only
    ids = await _chain_offer(demo)
    before = await _state(demo, ids)
    hz = {"Authorization": f"Bearer {await demo.token(HZ_ADVISOR)}"}
    # When the advisor tries it on every route, Then each is a 404, as for another tenant
    # (the chain has no manager of another store: approving is SH001's manager's or HQ's)
    assert await _attack(demo, hz, ids, None) == []
    listed = await demo.client.get("/api/v1/tradein/leads", headers=hz)
    assert listed.json()["items"] == []
    # And opening a lead at SH001 on their behalf is refused, naming the store
    other = await demo.client.post(
        "/api/v1/tradein/leads",
        headers=hz,
        json={
            "vehicle_id": ids["vehicle"],
            "source": "walk_in",
            "store_id": await demo.store_id(),
        },
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "store_id"
    assert await _state(demo, ids) == before


async def test_an_offer_of_another_lead_is_not_found_under_ones_own(demo: Demo) -> None:
    # Given the chain's offer, and a second lead of the same chain and store
    ids = await _chain_offer(demo)
    second = await _chain_offer_for_new_car(demo)
    manager = await demo.headers("store_manager")
    # When the first lead's offer is approved under the second lead's path
    path = f"/api/v1/tradein/leads/{second}/offers/{ids['offer']}/approve"
    response = await demo.client.post(path, json={}, headers=manager)
    # Then it is not found, and the offer still awaits approval
    assert response.status_code == 404
    (offer,) = (await _state(demo, ids))[2]
    assert offer["status"] == "awaiting_approval"


async def _chain_offer_for_new_car(demo: Demo) -> str:
    admin = await demo.headers()
    customer = await demo.client.post(
        "/api/v1/customers", headers=admin, json={"name": "王五", "phone": make_phone(9102)}
    )
    vehicle = await demo.client.post(
        "/api/v1/vehicles",
        headers=admin,
        json={
            "customer_id": customer.json()["id"],
            "vin": make_vin(9102),
            "plate": make_plate(9102),
            **CAMRY,
        },
    )
    lead = await demo.client.post(
        "/api/v1/tradein/leads",
        headers=await demo.headers("service_advisor"),
        json={"vehicle_id": vehicle.json()["id"], "source": "referral"},
    )
    assert lead.status_code == 201, lead.text
    return str(lead.json()["id"])
