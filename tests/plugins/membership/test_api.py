"""The membership API: redemption, adjustment, idempotency, bad input, reports, the 360."""

from __future__ import annotations

import uuid

import pytest

from tests.plugins.membership.conftest import BASE, Club


async def test_redeem_beyond_the_balance_is_refused_and_writes_nothing(club: Club) -> None:
    # Given a member with 300 points
    who = await club.customer()
    await club.spend(who, 30_000)
    # When 301 are redeemed
    response = await club.redeem(who[0], 301)
    # Then 422 insufficient_points naming points, and the ledger holds only the earn
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_points"
    assert response.json()["errors"][0]["field"] == "points"
    books = await club.books(who[0])
    assert [str(e.kind) for e in books.entries] == ["earn"] and books.account.balance == 300


@pytest.mark.parametrize("points", [0, -5])
async def test_zero_or_negative_redemption_names_points(club: Club, points: int) -> None:
    # Given a member
    who = await club.customer()
    await club.spend(who, 30_000)
    # When a non-positive amount is redeemed
    response = await club.redeem(who[0], points)
    # Then 422 naming the field
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "points"


async def test_redeem_against_an_order_records_its_store(club: Club) -> None:
    # Given a member who earned at SH001 and has an open order at SH002
    who = await club.customer()
    await club.spend(who, 30_000, store="SH001")
    order = await club.crm.order("SH002", who[0], who[1])
    # When 100 points pay towards that order
    response = await club.redeem(who[0], 100, order_id=order["id"])
    # Then the redemption is at SH002
    assert response.status_code == 200, response.text
    assert response.json()["entry"]["store_id"] == club.crm.stores["SH002"]
    assert response.json()["balance"] == 200


async def test_redeem_with_another_customers_order_names_order_id(club: Club) -> None:
    # Given two customers, the second with an order
    who, other = await club.customer(), await club.customer()
    await club.spend(who, 30_000)
    order = await club.crm.order("SH001", other[0], other[1])
    # When the first redeems against the second's order
    response = await club.redeem(who[0], 10, order_id=order["id"])
    # Then 422 naming order_id
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "order_id"


async def test_same_idempotency_key_and_body_replays_the_first_answer(club: Club) -> None:
    # Given a member with 300 points
    who = await club.customer()
    await club.spend(who, 30_000)
    headers = await club.headers(**{"Idempotency-Key": "pos-42-redeem"})
    body = {"points": 100, "reason": "抵扣"}
    url = f"{BASE}/accounts/{who[0]}/redeem"
    # When the same redemption is sent twice with the same key
    first = await club.client.post(url, json=body, headers=headers)
    second = await club.client.post(url, json=body, headers=headers)
    # Then both answer the same, and points were spent once
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert (await club.account(who[0]))["balance"] == 200
    # And the same key with a different body is a 409 idempotency_conflict
    clash = await club.client.post(url, json={**body, "points": 50}, headers=headers)
    assert clash.status_code == 409 and clash.json()["code"] == "idempotency_conflict"
    assert (await club.account(who[0]))["balance"] == 200


async def test_adjust_is_audited_and_needs_a_reason(club: Club) -> None:
    # Given a customer who is not yet a member
    who = await club.customer()
    # When a manager at SH001 grants 50 points with a reason, and tries without one
    granted = await club.adjust(who[0], 50, role="store_manager")
    blank = await club.client.post(
        f"{BASE}/accounts/{who[0]}/adjust",
        json={"points": 50, "reason": "  "},
        headers=await club.headers("store_manager"),
    )
    zero = await club.adjust(who[0], 0)
    # Then the grant enrols and credits them, at SH001, audited as membership.adjust
    assert granted.status_code == 200, granted.text
    assert granted.json()["entry"]["store_id"] == club.crm.stores["SH001"]
    assert (await club.account(who[0]))["balance"] == 50
    audit = await club.client.get("/api/v1/audit", headers=await club.headers())
    actions = [a for a in audit.json()["items"] if a["action"] == "membership.adjust"]
    assert len(actions) == 1 and actions[0]["detail"]["points"] == 50
    # And the blank reason and zero points are 422s naming the field
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "points"


async def test_negative_adjust_cannot_go_below_zero(club: Club) -> None:
    # Given a member with 100 points
    who = await club.customer()
    await club.spend(who, 10_000)
    # When 150 are taken by hand
    response = await club.adjust(who[0], -150)
    # Then it is refused and the balance stands
    assert response.status_code == 422 and response.json()["code"] == "insufficient_points"
    assert (await club.account(who[0]))["balance"] == 100


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("technician", "post", "redeem", 403),
        ("service_advisor", "post", "adjust", 403),
        ("store_manager", "put", "tier", 403),
        ("technician", "get", "", 403),
    ],
)
async def test_default_grants(club: Club, role: str, method: str, path: str, status: int) -> None:
    # Given a member
    who = await club.customer()
    await club.spend(who, 10_000)
    # When a role without the permission calls the route
    url = f"{BASE}/accounts/{who[0]}" + (f"/{path}" if path else "")
    body = {"points": 1, "reason": "x", "tier": "gold", "until": "2026-12-31"}
    if path == "tier":
        body = {"tier": "gold", "until": "2026-12-31", "reason": "x"}
    elif path:
        body = {"points": 1, "reason": "x"}
    kwargs = {"json": body} if method != "get" else {}
    response = await getattr(club.client, method)(url, headers=await club.headers(role), **kwargs)
    # Then it is forbidden
    assert response.status_code == status


async def test_unknown_customer_is_404(club: Club) -> None:
    response = await club.client.get(
        f"{BASE}/accounts/{uuid.uuid4()}", headers=await club.headers()
    )
    assert response.status_code == 404 and response.json()["code"] == "customer_not_found"


async def test_plugin_off_answers_plugin_disabled(club: Club) -> None:
    # Given the plugin switched off
    response = await club.client.put(
        "/api/v1/plugins/membership", json={"enabled": False}, headers=await club.headers()
    )
    assert response.status_code == 200
    # When a member is looked up
    who = await club.customer()
    response = await club.client.get(f"{BASE}/accounts/{who[0]}", headers=await club.headers())
    # Then 404 plugin_disabled
    assert response.status_code == 404 and response.json()["code"] == "plugin_disabled"


async def test_bad_settings_name_the_field(club: Club) -> None:
    # When HQ sets descending tiers and an unknown clawback policy
    response = await club.client.put(
        "/api/v1/plugins/membership",
        json={
            "enabled": True,
            "settings": {
                "clawback": "sometimes",
                "tiers": [
                    {"code": "regular", "name": "普通", "threshold": 0},
                    {"code": "gold", "name": "金", "threshold": 0},
                ],
            },
        },
        headers=await club.headers(),
    )
    # Then 422 naming each setting
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"settings.clawback", "settings.tiers"} <= fields


async def test_liability_report_shows_cross_store_settlement(club: Club) -> None:
    # Given a member who earned 500 at SH001 and spent 200 of them at HZ001
    who = await club.customer()
    await club.spend(who, 50_000, store="SH001")
    assert (await club.redeem(who[0], 200, store_id=club.crm.stores["HZ001"])).status_code == 200
    # When HQ asks for March's liability
    response = await club.client.get(
        f"{BASE}/reports/liability",
        params={"from": "2026-03-01", "to": "2026-03-31"},
        headers=await club.headers(),
    )
    # Then SH001 issued 500 and holds 300; HZ001 redeemed 200 of SH001's points
    assert response.status_code == 200, response.text
    report = response.json()
    stores = {s["store_id"]: s for s in report["stores"]}
    sh001, hz001 = club.crm.stores["SH001"], club.crm.stores["HZ001"]
    assert (stores[sh001]["issued"], stores[sh001]["outstanding"]) == (500, 300)
    assert stores[hz001]["redeemed"] == 200
    assert report["cross_store"] == [
        {"earned_at_store_id": sh001, "redeemed_at_store_id": hz001, "points": 200}
    ]
    # And a period before it shows nothing
    before = await club.client.get(
        f"{BASE}/reports/liability",
        params={"from": "2026-02-01", "to": "2026-02-28"},
        headers=await club.headers(),
    )
    assert all(s["issued"] == 0 for s in before.json()["stores"])


async def test_customer_360_export_and_erase(club: Club) -> None:
    # Given a member with points and a redemption whose reason names them
    who = await club.customer()
    await club.spend(who, 30_000)
    assert (await club.redeem(who[0], 10, role="hq_admin")).status_code == 200
    headers = await club.headers()
    # When the 360 and the export are read
    profile = await club.client.get(f"/api/v1/customers/{who[0]}/profile", headers=headers)
    export = await club.client.get(f"/api/v1/customers/{who[0]}/export", headers=headers)
    # Then both carry the membership section
    sections = [s for s in profile.json()["sections"] if s["plugin"] == "membership"]
    assert sections[0]["data"]["tier"] == "regular" and sections[0]["data"]["balance"] == 290
    assert [e["kind"] for e in export.json()["plugins"]["membership"]["ledger"]] == [
        "earn",
        "redeem",
    ]
    # And after erasure the reasons are gone but the figures stay
    erased = await club.client.post(f"/api/v1/customers/{who[0]}/erase", headers=headers)
    assert erased.status_code == 200, erased.text
    books = await club.books(who[0])
    assert {e.reason for e in books.entries} == {"erased"}
    assert books.account.balance == 290


async def test_every_route_for_every_role_is_granted_or_403_never_500(club: Club) -> None:
    # Given the plugin on, its default grants, and a member
    from pitstop.access.permissions import ROLE_TEMPLATES
    from pitstop_membership import plugin_info

    grants = {p.name: p.grants for p in plugin_info().permissions}
    who = await club.customer()
    await club.spend(who, 10_000)
    routes = [
        ("GET", f"accounts/{who[0]}", "membership:read"),
        ("GET", f"accounts/{who[0]}/ledger", "membership:read"),
        ("GET", "reports/liability", "membership:read"),
        ("POST", f"accounts/{who[0]}/enrol", "membership:redeem"),
        ("POST", f"accounts/{who[0]}/redeem", "membership:redeem"),
        ("POST", f"accounts/{who[0]}/adjust", "membership:adjust"),
        ("PUT", f"accounts/{who[0]}/tier", "membership:manage"),
    ]
    mismatches = []
    for role in ROLE_TEMPLATES:
        headers = await club.headers(role)
        for method, path, permission in routes:
            # When each role calls each route with an empty body
            response = await club.client.request(method, f"{BASE}/{path}", headers=headers, json={})
            allowed, status = role in grants[permission], response.status_code
            # Then a granted role passes the guard (a read is 200), others get 403
            if (
                allowed == (status == 403)
                or status >= 500
                or (allowed and method == "GET" and status != 200)
            ):
                mismatches.append((role, method, path, status))
    assert mismatches == []
