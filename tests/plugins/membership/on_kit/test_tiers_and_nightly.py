"""Tiers (up at once, down by one at the review, overrides that end) and the nightly run."""

from __future__ import annotations

from typing import Any

from tests.plugins.membership.conftest import BASE, Club, local


async def _events(club: Club, kind: str) -> list[dict[str, Any]]:
    return await club.crm.events(kind)


async def test_upgrade_happens_on_the_order_that_crosses_the_threshold(club: Club) -> None:
    # Given a member with ¥2,500 of spend (regular)
    who = await club.customer()
    await club.spend(who, 250_000)
    assert (await club.account(who[0]))["tier"]["code"] == "regular"
    # When a ¥600 order takes them past ¥3,000
    await club.spend(who, 60_000)
    # Then they are silver at once, and the event says so
    account = await club.account(who[0])
    assert account["tier"]["code"] == "silver"
    assert account["next_tier"]["code"] == "gold"
    assert account["spend_to_next_tier"] == 1_000_000 - 310_000
    changes = await _events(club, "membership.tier_changed")
    assert [(e["from"], e["to"], e["reason"]) for e in changes] == [
        ("regular", "silver", "upgrade")
    ]


async def test_upgrade_order_earns_at_the_old_rate_and_the_next_at_the_new(club: Club) -> None:
    # Given a member who crosses ¥3,000 with one ¥3,000 order
    who = await club.customer()
    await club.spend(who, 300_000)
    # When they spend ¥100 more as silver (×1.2)
    await club.spend(who, 10_000)
    # Then 3,000 + 120 points
    assert (await club.account(who[0]))["balance"] == 3_120


async def test_yearly_review_downgrades_by_one_tier_only(club: Club) -> None:
    # Given a black-card member (¥20,000 on 10 March 2026, the day they enrolled)
    who = await club.customer()
    await club.spend(who, 2_000_000)
    assert (await club.account(who[0]))["tier"]["code"] == "black"
    # When the first review comes on 10 March 2027, that spend is still in its year
    club.at(local(2027, 3, 10, 2, 0))
    await club.nightly()
    assert (await club.account(who[0]))["tier"]["code"] == "black"
    # And at the second review (10 March 2028) nothing was spent for a year
    club.at(local(2028, 3, 9, 2, 0))
    await club.nightly()
    assert (await club.account(who[0]))["tier"]["code"] == "black"  # not yet the review
    club.at(local(2028, 3, 10, 2, 0))
    await club.nightly()
    # Then they drop one tier to gold, not to regular, and the next review is a year on
    account = await club.account(who[0])
    assert account["tier"]["code"] == "gold"
    assert account["next_review_on"] == "2029-03-10"
    # And running the night again changes nothing more; a year later it is silver
    await club.nightly()
    assert (await club.account(who[0]))["tier"]["code"] == "gold"
    club.at(local(2029, 3, 10, 2, 0))
    await club.nightly()
    assert (await club.account(who[0]))["tier"]["code"] == "silver"
    changes = await _events(club, "membership.tier_changed")
    assert [(e["from"], e["to"], e["reason"]) for e in changes] == [
        ("regular", "black", "upgrade"),
        ("black", "gold", "review"),
        ("gold", "silver", "review"),
    ]


async def test_account_says_what_keeps_the_tier_at_the_review(club: Club) -> None:
    # Given a silver member whose ¥3,000 was spent on 10 March 2026
    who = await club.customer()
    await club.spend(who, 300_000)
    # When they look on 1 March 2027, before the review on 10 March 2027
    club.at(local(2027, 3, 1, 10, 0))
    account = await club.account(who[0])
    # Then the spend still counts at the review (inside twelve months) and nothing more is needed
    assert (account["next_review_on"], account["spend_to_keep_tier"]) == ("2027-03-10", 0)


async def test_manual_override_ends_on_its_date_and_is_no_floor(club: Club) -> None:
    # Given a regular member put on gold until 31 March 2026 by HQ
    who = await club.customer()
    await club.spend(who, 10_000)
    response = await club.client.put(
        f"{BASE}/accounts/{who[0]}/tier",
        json={"tier": "gold", "until": "2026-03-31", "reason": "开业活动"},
        headers=await club.headers(),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["tier"]["code"], response.json()["tier_source"]) == ("gold", "override")
    # When orders earn during the override, they earn at gold's rate
    await club.spend(who, 10_000)
    assert (await club.account(who[0]))["balance"] == 100 + 150
    # And on 1 April the night runs
    club.at(local(2026, 3, 31, 23, 0))
    assert (await club.account(who[0]))["tier"]["code"] == "gold"
    club.at(local(2026, 4, 1, 2, 0))
    await club.nightly()
    # Then the member is back on the tier they earned, with an event, and it is audited
    account = await club.account(who[0])
    assert (account["tier"]["code"], account["tier_source"]) == ("regular", "earned")
    changes = await _events(club, "membership.tier_changed")
    assert [(e["to"], e["reason"]) for e in changes] == [
        ("gold", "override"),
        ("regular", "override_ended"),
    ]
    audit = await club.client.get("/api/v1/audit", headers=await club.headers())
    assert "membership.tier_override" in [a["action"] for a in audit.json()["items"]]


async def test_override_needs_a_known_tier_and_a_future_end(club: Club) -> None:
    # Given a customer
    who = await club.customer()
    url = f"{BASE}/accounts/{who[0]}/tier"
    headers = await club.headers()
    # When HQ names an unknown tier, or an end in the past
    unknown = await club.client.put(
        url, json={"tier": "platinum", "until": "2026-12-31", "reason": "x"}, headers=headers
    )
    past = await club.client.put(
        url, json={"tier": "gold", "until": "2026-01-01", "reason": "x"}, headers=headers
    )
    # Then each is a 422 naming the field
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "tier"
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "until"


async def test_points_expire_at_the_end_of_the_month_a_year_on(club: Club) -> None:
    # Given 200 points earned on 10 March 2026
    who = await club.customer()
    await club.spend(who, 20_000)
    # When the night runs on 31 March 2027 and on 1 April 2027
    club.at(local(2027, 3, 31, 2, 0))
    await club.nightly()
    assert (await club.account(who[0]))["balance"] == 200
    club.at(local(2027, 4, 1, 2, 0))
    await club.nightly()
    # Then they expired at the start of April, with one points_expired event
    assert (await club.account(who[0]))["balance"] == 0
    expired = await _events(club, "membership.points_expired")
    assert [(e["customer_id"], e["points"]) for e in expired] == [(who[0], 200)]
    (await club.books(who[0])).assert_balanced()


async def test_expiry_warning_is_sent_once_per_lot(club: Club) -> None:
    # Given 200 points expiring on 1 April 2027
    who = await club.customer()
    await club.spend(who, 20_000)
    # When the night runs on 5 March 2027 and again on 6 March
    club.at(local(2027, 3, 5, 2, 0))
    account = await club.account(who[0])
    await club.nightly()
    club.at(local(2027, 3, 6, 2, 0))
    await club.nightly()
    # Then one warning was emitted, and the account shows the points expiring soon
    warnings = await _events(club, "membership.points_expiring")
    assert [(e["customer_id"], e["points"]) for e in warnings] == [(who[0], 200)]
    assert account["expiring_soon"]["points"] == 200
