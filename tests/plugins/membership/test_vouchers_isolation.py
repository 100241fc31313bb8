"""Attacks on vouchers: another tenant's code on an order, another tenant's voucher ids."""

from __future__ import annotations

from typing import Any

from tests.plugins.membership.conftest import BASE, Club, line
from tests.plugins.membership.test_isolation import SHOP_OWNER, _shop_member


async def _shop_voucher(club: Club) -> tuple[dict[str, str], dict[str, Any]]:
    """A voucher of a demo-shop (tenant B) customer."""
    theirs = await _shop_member(club)
    headers = {"Authorization": f"Bearer {await club.demo.token(SHOP_OWNER, 'demo-shop')}"}
    made = await club.client.post(
        f"{BASE}/voucher-templates",
        json={"code": "SHOP50", "title": "店券", "kind": "amount", "amount": 5_000,
              "valid_days": 30},
        headers=headers,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    issued = await club.client.post(
        f"{BASE}/vouchers",
        json={"template_id": made.json()["id"], "customer_id": theirs["customer_id"],
              "reason": "x"},
        headers=headers,
    )  # fmt: skip
    assert issued.status_code == 201, issued.text
    return headers, dict(issued.json())


async def test_another_tenants_code_on_an_order_is_unknown_and_never_applied(club: Club) -> None:
    # Given a voucher of tenant B, and an open order of tenant A
    b_headers, theirs = await _shop_voucher(club)
    who = await club.customer()
    order = await club.crm.order("SH001", who[0], who[1], lines=[line(30_000)])
    # When A's desk types B's code on A's order
    response = await club.client.post(
        f"/api/v1/service-orders/{order['id']}/vouchers",
        json={"code": theirs["code"]},
        headers=await club.headers(),
    )
    # Then it is 422 unknown_code, the order is untouched, B's voucher still issued
    assert (response.status_code, response.json()["code"]) == (422, "unknown_code")
    got = await club.client.get(
        f"/api/v1/service-orders/{order['id']}", headers=await club.headers()
    )
    assert got.json()["total"] == 30_000
    mine = await club.client.get(f"{BASE}/vouchers/{theirs['id']}", headers=b_headers)
    assert mine.json()["status"] == "issued"


async def test_another_tenants_voucher_and_template_ids_are_not_found(club: Club) -> None:
    # Given B's voucher
    _, theirs = await _shop_voucher(club)
    headers = await club.headers()
    # When A reads it, voids it, or issues from B's template
    read = await club.client.get(f"{BASE}/vouchers/{theirs['id']}", headers=headers)
    voided = await club.client.post(
        f"{BASE}/vouchers/{theirs['id']}/void", json={"reason": "x"}, headers=headers
    )
    template = await club.client.get(
        f"{BASE}/voucher-templates/{theirs['template_id']}", headers=headers
    )
    who = await club.customer()
    issued = await club.client.post(
        f"{BASE}/vouchers",
        json={"template_id": theirs["template_id"], "customer_id": who[0], "reason": "x"},
        headers=headers,
    )
    # Then 404s, and issuing names template_id
    assert (read.status_code, voided.status_code, template.status_code) == (404, 404, 404)
    assert issued.status_code == 422 and issued.json()["errors"][0]["field"] == "template_id"


async def test_a_store_advisor_cannot_redeem_on_another_stores_order(club: Club) -> None:
    # Given a customer's voucher and their order at SH002
    who = await club.customer()
    made = await club.client.post(
        f"{BASE}/voucher-templates",
        json={"code": "A50", "title": "券", "kind": "amount", "amount": 5_000, "valid_days": 9},
        headers=await club.headers(),
    )
    issued = await club.client.post(
        f"{BASE}/vouchers",
        json={"template_id": made.json()["id"], "customer_id": who[0], "reason": "x"},
        headers=await club.headers(),
    )
    order = await club.crm.order("SH002", who[0], who[1], lines=[line(30_000)])
    # When SH001's advisor types the code on the SH002 order
    response = await club.client.post(
        f"/api/v1/service-orders/{order['id']}/vouchers",
        json={"code": issued.json()["code"]},
        headers=await club.headers("service_advisor"),
    )
    # Then the order is not found for them, and the voucher is untouched
    assert response.status_code == 404
    got = await club.client.get(
        f"{BASE}/vouchers/{issued.json()['id']}", headers=await club.headers()
    )
    assert got.json()["status"] == "issued"
