"""Reading referrals: the list (keyset, filters, store scope), the detail, the 360°
section, the KPIs, and the customer's export and erasure (counts stay, links go)."""

from __future__ import annotations

import uuid

from tests.plugins.referrals.on_kit.conftest import Desk, lines

BASE = "/api/v1/referrals"


async def test_lists_filter_page_and_keep_store_staff_to_their_store(both_desk: Desk) -> None:
    desk = both_desk
    # Given two referrals at SH001 (one referrer) and one at HZ001
    code = (await desk.code())["code"]
    sh = []
    for _ in range(2):
        referee = await desk.app.customer()
        sh.append((await desk.try_link(code, str(referee["id"]), store="SH001")).json())
    hz = await desk.referral(store="HZ001")
    # When HQ lists one at a time, it pages through all three by keyset
    admin, seen, after = desk.app.client(), [], None
    while True:
        params = {"limit": 1, **({"after": after} if after else {})}
        page = (await admin.get(f"{BASE}/", params=params)).json()
        seen += [r["id"] for r in page["items"]]
        if (after := page["next"]) is None:
            break
    assert sorted(seen) == sorted([sh[0]["id"], sh[1]["id"], hz["id"]])
    # And the filters narrow it
    mine = await admin.get(f"{BASE}/", params={"referrer_id": sh[0]["referrer_id"]})
    assert {r["id"] for r in mine.json()["items"]} == {sh[0]["id"], sh[1]["id"]}
    at_hz = await admin.get(f"{BASE}/", params={"store_id": hz["store_id"], "status": "pending"})
    assert [r["id"] for r in at_hz.json()["items"]] == [hz["id"]]
    bad = await admin.get(f"{BASE}/", params={"status": "paid"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "status")
    # When SH001's manager lists and opens HZ001's referral
    manager = desk.client("store_manager", "SH001")
    listed = await manager.get(f"{BASE}/")
    opened = await manager.get(f"{BASE}/{hz['id']}")
    decided = await manager.post(f"{BASE}/{hz['id']}/reject", json={"reason": "x"})
    # Then they see only SH001's, and HZ001's is not found, even to act on
    assert {r["id"] for r in listed.json()["items"]} == {sh[0]["id"], sh[1]["id"]}
    assert opened.status_code == 404 and decided.status_code == 404


async def test_the_360_section_and_the_kpis(both_desk: Desk) -> None:
    desk = both_desk
    # Given one rewarded referral, one refunded and one waiting in review
    code = (await desk.code())["code"]
    referrer_id = None
    made = []
    for _ in range(2):
        referee = await desk.app.customer()
        made.append((await desk.try_link(code, str(referee["id"]))).json())
        referrer_id = made[-1]["referrer_id"]
    await desk.first_order(made[0])
    refunded = await desk.first_order(made[1])
    await desk.refund(refunded)
    held_referrer = await desk.app.customer(address="杭州市西湖区文三路 1 号")
    held_referee = await desk.app.customer(address="杭州市西湖区文三路1号")
    held_code = (await desk.code(str(held_referrer["id"])))["code"]
    await desk.try_link(held_code, str(held_referee["id"]))
    await desk.app.completed_order(lines=lines(10_000))  # a customer who came on their own
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    # When the referrer's profile is read
    profile = await desk.app.client().get(f"/api/v1/customers/{referrer_id}/profile")
    (section,) = [s for s in profile.json()["sections"] if s["plugin"] == "referrals"]
    # Then it shows two referred, one rewarded, and the voucher granted
    data = section["data"]
    assert (data["referred_by"], data["referred"], data["referred_rewarded"]) == (None, 2, 1)
    assert data["rewards"] == [
        {"side": "referrer", "kind": "voucher", "points": 0, "status": "granted"}
    ]
    # And the referee's profile says who referred them
    referee = await desk.app.client().get(f"/api/v1/customers/{made[0]['referee_id']}/profile")
    (mine,) = [s for s in referee.json()["sections"] if s["plugin"] == "referrals"]
    assert mine["data"]["referred_by"] == {
        "referral_id": made[0]["id"], "referrer_id": referrer_id, "status": "rewarded",
    }  # fmt: skip
    # And the KPIs count the funnel of the period
    kpis = (await desk.app.client().get(f"{BASE}/kpis")).json()
    assert (kpis["codes_issued"], kpis["linked"], kpis["qualified"], kpis["rewarded"]) == (
        2, 3, 1, 1,
    )  # fmt: skip
    assert kpis["disqualified_by_reason"] == {"refunded_in_window": 1}
    assert (kpis["review_backlog"], kpis["vouchers_granted"]) == (1, 2)
    # And the cost per acquired customer is the vouchers' face values (¥50 + ¥30) per
    # rewarded referral, in fen, as membership answered them
    assert (kpis["voucher_value_granted"], kpis["cost_per_acquired_customer"]) == (8_000, 8_000)
    assert kpis["referee_first_order_revenue"] == 60_000
    # And of the two customers won (the refunded referee's visit does not count), one was
    # referred, and the referee spent ¥300 against the other's ¥100
    assert (kpis["new_customers"], kpis["referred_new_customers"], kpis["referral_share"]) == (
        2, 1, 0.5,
    )  # fmt: skip
    assert (kpis["referee_avg_revenue"], kpis["other_new_customer_avg_revenue"]) == (
        30_000, 10_000,
    )  # fmt: skip
    # And a naive instant is refused, naming the field
    naive = await desk.app.client().get(f"{BASE}/kpis", params={"from": "2026-01-01T00:00:00"})
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "from")


async def test_erasure_keeps_the_counts_and_drops_the_links(desk: Desk) -> None:
    # Given a rewarded referral
    referral = await desk.referral()
    await desk.first_order(referral)
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    admin = desk.app.client()
    referrer = referral["referrer_id"]
    # When the referrer's data is exported
    export = (await admin.get(f"/api/v1/customers/{referrer}/export")).json()
    held = export["plugins"]["referrals"]
    # Then their code, the referral and their reward are in it
    assert [r["id"] for r in held["referrals"]] == [referral["id"]]
    assert len(held["codes"]) == 1 and held["rewards"][0]["side"] == "referrer"
    # When they are erased
    erased = await admin.post(f"/api/v1/customers/{referrer}/erase", json={"reason": "request"})
    assert erased.status_code in (200, 204), erased.text
    # Then the referral stays (rewarded, counted) but leads to them no more
    after = await desk.get(referral)
    assert (after["status"], after["referrer_id"]) == ("rewarded", None)
    assert after["referee_id"] == referral["referee_id"]
    kpis = (await admin.get(f"{BASE}/kpis")).json()
    assert (kpis["linked"], kpis["rewarded"]) == (1, 1)
    # And their code is gone from the desk's lookup
    code = held["codes"][0]["code"]
    assert (await admin.get(f"{BASE}/codes/{code}")).status_code == 404


async def test_codes_are_counted_at_the_store_that_issued_them(desk: Desk) -> None:
    # Given a code issued by SH001's advisor, one by HQ for HZ001, and one by HQ for nobody
    sh, hz = desk.app.stores["SH001"], desk.app.stores["HZ001"]
    at_sh = await desk.code()
    admin = desk.app.client()
    at_hz = await admin.post(
        f"{BASE}/codes",
        json={"customer_id": str((await desk.app.customer())["id"]), "store_id": hz},
    )
    at_hq = await admin.post(
        f"{BASE}/codes", json={"customer_id": str((await desk.app.customer())["id"])}
    )
    # Then each code records its store
    assert (at_sh["store_id"], at_hz.json()["store_id"], at_hq.json()["store_id"]) == (sh, hz, None)
    # And HQ counts all three, one per store when it names one
    assert (await admin.get(f"{BASE}/kpis")).json()["codes_issued"] == 3
    for store in (sh, hz):
        named = await admin.get(f"{BASE}/kpis", params={"store_id": store})
        assert named.json()["codes_issued"] == 1
    # And SH001's manager counts SH001's code only, not HQ's
    own = await desk.client("store_manager", "SH001").get(f"{BASE}/kpis")
    assert own.json()["codes_issued"] == 1
    # When SH001's advisor names HZ001, or another tenant's store: refused, naming store_id
    customer = str((await desk.app.customer())["id"])
    for store in (hz, str(uuid.uuid4())):
        refused = await desk.client().post(
            f"{BASE}/codes", json={"customer_id": customer, "store_id": store}
        )
        assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "store_id")
