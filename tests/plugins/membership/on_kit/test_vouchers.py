"""Voucher templates, issuing, redemption on service orders, refunds, expiry, the profile.

On the kit: the real app, the plugin on, the kit's clock and ``drain()`` for the worker.
"""

from __future__ import annotations

import uuid
from typing import Any

from pitstop_membership.vouchers import ALPHABET, CODE_LENGTH
from tests.plugins.membership.conftest import BASE, Club, line, local
from tests.plugins.membership.on_kit.conftest import KitClub

ORDERS = "/api/v1/service-orders"


def template(**fields: Any) -> dict[str, Any]:
    return {"code": "BACK50", "title": "回店礼", "kind": "amount", "amount": 5_000,
            "valid_days": 30, **fields}  # fmt: skip


async def make_template(club: Club, **fields: Any) -> dict[str, Any]:
    response = await club.client.post(
        f"{BASE}/voucher-templates", json=template(**fields), headers=await club.headers()
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def issue(club: Club, template_id: str, customer_id: str, **headers: str) -> Any:
    return await club.client.post(
        f"{BASE}/vouchers",
        json={"template_id": template_id, "customer_id": customer_id, "reason": "召回"},
        headers=await club.headers("marketing", **headers),
    )


async def voucher(club: Club, voucher_id: str) -> dict[str, Any]:
    response = await club.client.get(f"{BASE}/vouchers/{voucher_id}", headers=await club.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


async def redeem(club: Club, order_id: str, code: str, role: str = "hq_admin") -> Any:
    return await club.client.post(
        f"{ORDERS}/{order_id}/vouchers", json={"code": code}, headers=await club.headers(role)
    )


async def holder(club: Club, **fields: Any) -> tuple[tuple[str, str], dict[str, Any]]:
    """A customer holding one voucher of a new template (``fields`` shape the template)."""
    who = await club.customer()
    made = await make_template(club, code=f"T{uuid.uuid4().hex[:8].upper()}", **fields)
    response = await issue(club, made["id"], who[0])
    assert response.status_code == 201, response.text
    return who, dict(response.json())


async def test_a_template_with_bad_fields_names_every_one_of_them(club: Club) -> None:
    # Given an amount template without its amount, with a percent, an unknown category,
    # no validity and a store that does not exist
    body = template(amount=None, percent=10, categories=["wash"], valid_days=None,
                    stores=[str(uuid.uuid4())])  # fmt: skip
    # When marketing creates it
    response = await club.client.post(
        f"{BASE}/voucher-templates", json=body, headers=await club.headers("marketing")
    )
    # Then one 422 names each bad field, and nothing was created
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["amount", "percent", "categories", "valid_days", "stores[0]"]
    listed = await club.client.get(f"{BASE}/voucher-templates", headers=await club.headers())
    assert listed.json() == []


async def test_a_percent_out_of_range_is_refused_naming_percent(club: Club) -> None:
    # When a template gives 120 % off
    response = await club.client.post(
        f"{BASE}/voucher-templates",
        json=template(kind="percent", amount=None, percent=120),
        headers=await club.headers(),
    )
    # Then it is a 4xx naming percent
    assert 400 <= response.status_code < 500
    assert "percent" in response.text


async def test_a_store_manager_cannot_design_templates(club: Club) -> None:
    # When a store manager (no membership:vouchers) creates a template
    response = await club.client.post(
        f"{BASE}/voucher-templates", json=template(), headers=await club.headers("store_manager")
    )
    # Then it is forbidden
    assert response.status_code == 403


async def test_issuing_with_one_idempotency_key_issues_one_voucher(club: Club) -> None:
    # Given a template and a customer
    made = await make_template(club)
    who = await club.customer()
    # When marketing issues twice with the same Idempotency-Key
    first = await issue(club, made["id"], who[0], **{"Idempotency-Key": "k-1"})
    again = await issue(club, made["id"], who[0], **{"Idempotency-Key": "k-1"})
    # Then both answer the same voucher, issued, with an unguessable code
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["id"] == again.json()["id"]
    code = first.json()["code"]
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert first.json()["status"] == "issued"
    # And the customer holds exactly one, and the template counted one
    listed = await club.client.get(
        f"{BASE}/accounts/{who[0]}/vouchers", headers=await club.headers("service_advisor")
    )
    assert [v["id"] for v in listed.json()] == [first.json()["id"]]
    got = await club.client.get(
        f"{BASE}/voucher-templates/{made['id']}", headers=await club.headers()
    )
    assert got.json()["issued"] == 1


async def test_a_spent_budget_and_a_deactivated_template_issue_nothing(club: Club) -> None:
    # Given a template with a budget of one, already issued once
    made = await make_template(club, budget=1)
    who = await club.customer()
    assert (await issue(club, made["id"], who[0])).status_code == 201
    # When a second is issued
    second = await issue(club, made["id"], who[0])
    # Then 422 budget_exhausted naming template_id
    assert second.status_code == 422
    assert (second.json()["code"], second.json()["errors"][0]["field"]) == (
        "budget_exhausted",
        "template_id",
    )
    # And once another template is deactivated, it issues nothing either
    other = await make_template(club, code="OTHER")
    patched = await club.client.patch(
        f"{BASE}/voucher-templates/{other['id']}", json={"active": False},
        headers=await club.headers(),
    )  # fmt: skip
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert (await issue(club, other["id"], who[0])).json()["code"] == "template_inactive"


async def test_a_voucher_on_an_order_is_a_discount_line_redeemed_at_completion(
    club: KitClub,
) -> None:
    # Given a customer holding a ¥50 voucher and an open ¥300 order at SH002
    who, held = await holder(club)
    order = await club.crm.order("SH002", who[0], who[1], lines=[line(30_000)])
    # When the desk types the code (lower case, with a dash, as customers read it)
    typed = held["code"][:4].lower() + "-" + held["code"][4:]
    response = await redeem(club, order["id"], typed)
    # Then the order has a discount line and its total is ¥250
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 25_000
    assert [(x["kind"], x["amount"]) for x in body["lines"]][-1] == ("discount", 5_000)
    assert (await voucher(club, held["id"]))["status"] == "applied"
    # When the order completes and the worker runs
    await club.crm.complete(order["id"], 20_000)
    await club.app.drain()
    # Then the voucher is redeemed by SH002, and points were earned on ¥250
    after = await voucher(club, held["id"])
    assert (after["status"], after["redeemed_store_id"]) == ("redeemed", club.crm.stores["SH002"])
    assert (await club.account(who[0]))["balance"] == 250


async def test_a_refund_gives_the_voucher_back_while_valid_else_it_expires(club: KitClub) -> None:
    # Given two redeemed vouchers, one valid for 30 days and one for 1 day
    who, long_lived = await holder(club)
    _, short = await holder(club, valid_days=1)
    await _issue_to(club, short, who[0])
    orders = []
    for code in (long_lived["code"], short["code"]):
        order = await club.crm.order("SH001", who[0], who[1], lines=[line(30_000)])
        assert (await redeem(club, order["id"], code)).status_code == 200
        club.mileage += 100
        await club.crm.complete(order["id"], club.mileage)
        orders.append(order["id"])
    await club.app.drain()
    # When both orders are refunded three days later
    club.at(local(2026, 3, 13, 10, 0))
    for order_id in orders:
        await club.refund(order_id)
    # Then the valid one is issued again (usable), the ended one is expired
    assert (await voucher(club, long_lived["id"]))["status"] == "issued"
    assert (await voucher(club, short["id"]))["status"] == "expired"


async def _issue_to(club: Club, held: dict[str, Any], customer_id: str) -> None:
    """Move ``held`` to ``customer_id``: a new voucher of its template for them."""
    response = await issue(club, held["template_id"], customer_id)
    assert response.status_code == 201, response.text
    held.update(response.json())


async def test_a_voucher_is_refused_for_the_wrong_customer_store_or_spend(club: Club) -> None:
    # Given a ¥50 voucher valid at SH001 only, from ¥200 spent
    who, held = await holder(club, stores=[club.crm.stores["SH001"]], min_spend=20_000)
    stranger = await club.customer()
    cases = [
        (stranger, "SH001", 30_000, "voucher_of_another_customer"),
        (who, "SH002", 30_000, "voucher_not_for_store"),
        (who, "SH001", 10_000, "voucher_min_spend"),
    ]
    for customer, store, fen, code in cases:
        # When it is typed on an order it does not fit
        order = await club.crm.order(store, customer[0], customer[1], lines=[line(fen)])
        response = await redeem(club, order["id"], held["code"])
        # Then 422 naming code, with the reason, and the voucher stays unused
        assert response.status_code == 422, response.text
        assert (response.json()["code"], response.json()["errors"][0]["field"]) == (code, "code")
        assert held["code"] not in response.text
        assert (await voucher(club, held["id"]))["status"] == "issued"


async def test_a_voucher_on_one_order_cannot_go_on_a_second(club: Club) -> None:
    # Given a voucher already on one open order
    who, held = await holder(club)
    first = await club.crm.order("SH001", who[0], who[1], lines=[line(30_000)])
    assert (await redeem(club, first["id"], held["code"])).status_code == 200
    # When it is typed again on the same order, and on a second order
    again = await redeem(club, first["id"], held["code"])
    second = await club.crm.order("SH001", who[0], who[1], lines=[line(30_000)])
    other = await redeem(club, second["id"], held["code"])
    # Then both are refused, and the second order keeps its full total
    assert again.json()["code"] == "voucher_already_applied"
    assert other.json()["code"] == "voucher_applied"
    got = await club.client.get(f"{ORDERS}/{second['id']}", headers=await club.headers())
    assert got.json()["total"] == 30_000


async def test_an_unknown_code_is_422_unknown_code(club: Club) -> None:
    who = await club.customer()
    order = await club.crm.order("SH001", who[0], who[1], lines=[line(30_000)])
    response = await redeem(club, order["id"], "ZZZZZZZZZZZZ")
    assert (response.status_code, response.json()["code"]) == (422, "unknown_code")


async def test_percent_and_item_vouchers_are_capped_to_their_categories(club: Club) -> None:
    # Given a 20 % voucher capped at ¥30 on beauty, and a free-wash voucher up to ¥40
    who, percent = await holder(
        club, kind="percent", amount=None, percent=20, max_discount=3_000, categories=["beauty"]
    )
    _, wash = await holder(
        club, kind="item", amount=None, item_category="wash", max_discount=4_000,
        categories=["beauty"],
    )  # fmt: skip
    await _issue_to(club, wash, who[0])
    # And an order of ¥100 maintenance and ¥100 beauty
    lines = [line(10_000), line(10_000, "beauty")]
    order = await club.crm.order("SH001", who[0], who[1], lines=lines)
    # When both are redeemed
    assert (await redeem(club, order["id"], percent["code"])).status_code == 200
    body = (await redeem(club, order["id"], wash["code"])).json()
    # Then ¥20 (20 % of beauty) and ¥40 come off beauty only
    discounts = [(x["category"], x["amount"]) for x in body["lines"] if x["kind"] == "discount"]
    assert discounts == [("beauty", 2_000), ("beauty", 4_000)]
    assert body["total"] == 14_000


async def test_voiding_ends_an_unused_voucher_once(club: Club) -> None:
    _, held = await holder(club)
    path = f"{BASE}/vouchers/{held['id']}/void"
    headers = await club.headers("marketing")
    first = await club.client.post(path, json={"reason": "发错"}, headers=headers)
    again = await club.client.post(path, json={"reason": "发错"}, headers=headers)
    assert (first.status_code, first.json()["status"]) == (200, "void")
    assert (again.status_code, again.json()["code"]) == (409, "voucher_not_voidable")


async def test_the_night_warns_seven_days_before_and_then_expires(club: KitClub) -> None:
    # Given a voucher valid for 10 days (to the end of 20 March)
    _, held = await holder(club, valid_days=10)
    # When the vouchers' night runs on 14 March, twice
    club.at(local(2026, 3, 14, 2, 10))
    await club.app.drain(schedule="vouchers")
    await club.app.drain(schedule="vouchers")
    # Then one voucher.expiring carries ids only (never the code)
    events = await club.crm.events("voucher.expiring")
    assert [e["voucher_id"] for e in events] == [held["id"]]
    assert held["code"] not in str(events)
    # And the customer is sent one voucher_expiring message naming the last day
    messages = await club.app.client().get(
        "/api/v1/messages", params={"customer_id": held["customer_id"]}
    )
    assert [m["template"] for m in messages.json()["items"]] == ["voucher_expiring"]
    # When the night runs after its end
    club.at(local(2026, 3, 21, 2, 10))
    await club.app.drain(schedule="vouchers")
    # Then it is expired
    assert (await voucher(club, held["id"]))["status"] == "expired"


async def test_profile_export_and_erasure_include_vouchers(club: Club) -> None:
    who, held = await holder(club)
    headers = await club.headers()
    profile = await club.client.get(f"/api/v1/customers/{who[0]}/profile", headers=headers)
    section = next(s for s in profile.json()["sections"] if s["plugin"] == "membership")
    assert [v["id"] for v in section["data"]["vouchers"]] == [held["id"]]
    assert held["code"] not in profile.text
    export = await club.client.get(f"/api/v1/customers/{who[0]}/export", headers=headers)
    assert [v["code"] for v in export.json()["plugins"]["membership"]["vouchers"]] == [held["code"]]
    erased = await club.client.post(
        f"/api/v1/customers/{who[0]}/erase", json={"reason": "客户要求删除"}, headers=headers
    )
    assert erased.status_code == 200, erased.text
    assert (await voucher(club, held["id"]))["reason"] == "erased"


def test_codes_are_long_and_from_the_unambiguous_alphabet() -> None:
    from pitstop_membership.vouchers import new_code

    codes = {new_code() for _ in range(1_000)}
    assert len(codes) == 1_000
    assert all(len(c) >= 10 and not set(c) & set("01OIL") for c in codes)


async def test_the_liability_report_settles_vouchers_across_stores(club: KitClub) -> None:
    # Given two ¥50 vouchers issued by SH001, one redeemed at SH002
    sh001, sh002 = club.crm.stores["SH001"], club.crm.stores["SH002"]
    who = await club.customer()
    made = await make_template(club)
    held = []
    for _ in range(2):
        response = await club.client.post(
            f"{BASE}/vouchers",
            json={"template_id": made["id"], "customer_id": who[0], "reason": "召回",
                  "store_id": sh001},
            headers=await club.headers(),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        held.append(response.json())
    order = await club.crm.order("SH002", who[0], who[1], lines=[line(30_000)])
    assert (await redeem(club, order["id"], held[0]["code"])).status_code == 200
    await club.crm.complete(order["id"], 20_000)
    await club.app.drain()
    # When HQ reads the vouchers' liability report
    report = await club.client.get(f"{BASE}/reports/vouchers", headers=await club.headers())
    # Then SH001 owes one ¥50 voucher, SH002 honoured one, and the pair is to settle
    assert report.status_code == 200, report.text
    stores = {s["store_id"]: s for s in report.json()["stores"]}
    assert (stores[sh001]["outstanding"], stores[sh001]["outstanding_face_value"]) == (1, 5_000)
    assert (stores[sh002]["redeemed"], stores[sh002]["redeemed_value"]) == (1, 5_000)
    assert report.json()["cross_store"] == [
        {"issued_at_store_id": sh001, "redeemed_at_store_id": sh002, "vouchers": 1,
         "value": 5_000},
    ]  # fmt: skip
    # And SH001's manager may not ask for SH002's rows
    other = await club.client.get(
        f"{BASE}/reports/vouchers?store_id={sh002}", headers=await club.headers("store_manager")
    )
    assert (other.status_code, other.json()["errors"][0]["field"]) == (422, "store_id")


async def test_a_refused_voucher_reads_in_the_readers_language(club: KitClub) -> None:
    # Given a voucher and another customer's open order at SH001
    _, held = await holder(club)
    stranger = await club.customer()
    order = await club.crm.order("SH001", stranger[0], stranger[1], lines=[line(30_000)])
    # When it is typed on that order through the API in Chinese, and at the console
    chinese = {**await club.headers(), "Accept-Language": "zh-CN"}
    api = await club.client.post(
        f"{ORDERS}/{order['id']}/vouchers", json={"code": held["code"]}, headers=chinese
    )
    desk = club.app.console("service_advisor", "SH001")
    page = await desk.post(f"/console/orders/{order['id']}/voucher", {"code": held["code"]})
    # Then both refuse in the plugin's Chinese (a core route, the plugin's words), the code
    # and field unchanged
    assert api.status_code == page.status_code == 422, api.text
    assert api.json()["code"] == "voucher_of_another_customer"
    assert api.json()["errors"] == [{"field": "code", "message": "这张券属于其他客户"}]
    assert "这张券属于其他客户" in page.text and "belongs to another customer" not in page.text
