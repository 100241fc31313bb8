"""Isolation as an attacker tries it: the demo shop's staff with the demo chain's code and
referral id on every route (404, nothing changed), and the chain's customers in a body."""

from __future__ import annotations

from typing import Any

from tests.crm.conftest import make_phone
from tests.support.demo import Demo

SHOP_ADMIN = "owner@demo-shop.example"
BASE = "/api/v1/referrals"


async def _enable(demo: Demo, headers: dict[str, str]) -> None:
    response = await demo.client.put(
        "/api/v1/plugins/referrals", json={"enabled": True}, headers=headers
    )
    assert response.status_code == 200, response.text


async def _chain_referral(demo: Demo) -> dict[str, Any]:
    """A referral of the chain, held for review (the two share an address)."""
    admin = await demo.headers()
    await _enable(demo, admin)
    ids = []
    for n in (9201, 9202):
        customer = await demo.client.post(
            "/api/v1/customers", headers=admin,
            json={"name": "赵云", "phone": make_phone(n), "address": "成都市武侯区一号"},
        )  # fmt: skip
        ids.append(customer.json()["id"])
    code = await demo.client.post(f"{BASE}/codes", headers=admin, json={"customer_id": ids[0]})
    linked = await demo.client.post(
        f"{BASE}/", headers=admin, json={"code": code.json()["code"], "referee_customer_id": ids[1]}
    )
    assert linked.json()["status"] == "review", linked.text
    return {"code": code.json()["code"], "referral": linked.json(), "customers": ids}


async def test_another_tenants_code_and_referral_are_not_found(demo: Demo) -> None:
    # Given a referral and code of the demo chain, and the shop's admin
    chain = await _chain_referral(demo)
    referral_id = chain["referral"]["id"]
    admin = await demo.headers()
    before = (await demo.client.get(f"{BASE}/{referral_id}", headers=admin)).json()
    shop = {"Authorization": f"Bearer {await demo.token(SHOP_ADMIN, 'demo-shop')}"}
    await _enable(demo, shop)
    # When the shop tries the chain's ids on every route, Then each is a 404
    for method, path, body in (
        ("GET", f"{BASE}/codes/{chain['code']}", None),
        ("GET", f"{BASE}/{referral_id}", None),
        ("POST", f"{BASE}/{referral_id}/approve", {"reason": "x"}),
        ("POST", f"{BASE}/{referral_id}/reject", {"reason": "x"}),
    ):
        response = await demo.client.request(method, path, json=body, headers=shop)
        assert response.status_code == 404, (method, path, response.status_code)
    # And the chain's code and customers in bodies are unknown to the shop
    ours = await demo.client.post(
        "/api/v1/customers", headers=shop, json={"name": "马超", "phone": make_phone(9203)}
    )
    stolen_code = await demo.client.post(
        f"{BASE}/", headers=shop,
        json={"code": chain["code"], "referee_customer_id": ours.json()["id"]},
    )  # fmt: skip
    assert (stolen_code.status_code, stolen_code.json()["code"]) == (422, "code_unknown")
    foreign = await demo.client.post(
        f"{BASE}/codes", headers=shop, json={"customer_id": chain["customers"][0]}
    )
    assert (foreign.status_code, foreign.json()["errors"][0]["field"]) == (422, "customer_id")
    # And a code issued "at" the chain's store is refused, naming store_id
    chain_store = await demo.store_id("SH001")
    at_theirs = await demo.client.post(
        f"{BASE}/codes", headers=shop,
        json={"customer_id": ours.json()["id"], "store_id": chain_store},
    )  # fmt: skip
    assert (at_theirs.status_code, at_theirs.json()["errors"][0]["field"]) == (422, "store_id")
    # And the shop's lists and KPIs show nothing of the chain's, and nothing changed there
    listed = await demo.client.get(f"{BASE}/", headers=shop)
    assert listed.json()["items"] == []
    assert (await demo.client.get(f"{BASE}/kpis", headers=shop)).json()["linked"] == 0
    after = (await demo.client.get(f"{BASE}/{referral_id}", headers=admin)).json()
    assert after == before
