"""Refunds take their spend out of the window at once; points are earned after discounts."""

from __future__ import annotations

from typing import Any

from pitstop_membership.earning import points_for
from pitstop_membership.settings import MembershipSettings
from tests.plugins.membership.conftest import BASE, Club, line, local


async def _changes(club: Club) -> list[tuple[str, str, str, str]]:
    return [
        (e["from"], e["to"], e["earned_tier"], e["reason"])
        for e in await club.crm.events("membership.tier_changed")
    ]


async def test_refund_of_the_order_that_made_black_drops_the_tier_at_once(club: Club) -> None:
    # Given a silver member (¥3,500) lifted to black by one ¥20,000 order
    who = await club.customer()
    await club.spend(who, 350_000)
    black = await club.spend(who, 2_000_000)
    assert (await club.account(who[0]))["tier"]["code"] == "black"
    # When that order is refunded
    await club.refund(black)
    # Then the member is back on silver at once, the tier their remaining spend earns
    account = await club.account(who[0])
    assert (account["tier"]["code"], account["tier_source"]) == ("silver", "earned")
    assert account["qualifying_spend"] == 350_000
    # And the change is announced with the reason
    assert (await _changes(club))[-1] == ("black", "silver", "silver", "refund")
    (await club.books(who[0])).assert_balanced()


async def test_a_refund_never_takes_a_tier_held_before_the_order(club: Club) -> None:
    # Given a gold member (¥10,000) who then spent ¥1,000 more, still gold
    who = await club.customer()
    await club.spend(who, 1_000_000)
    small = await club.spend(who, 100_000)
    # When the small order is refunded
    await club.refund(small)
    # Then they stay gold and nothing is announced beyond the first upgrade
    assert (await club.account(who[0]))["tier"]["code"] == "gold"
    assert await _changes(club) == [("regular", "gold", "gold", "upgrade")]


async def test_a_tier_kept_at_the_review_is_the_floor_for_a_later_refund(club: Club) -> None:
    # Given a black member who kept gold at the review two years on (one step down)
    who = await club.customer()
    await club.spend(who, 2_000_000)
    club.at(local(2028, 3, 10, 2, 0))
    await club.nightly()
    assert (await club.account(who[0]))["tier"]["code"] == "gold"
    # When a ¥500 order is completed and refunded
    club.at(local(2028, 3, 11, 10, 0))
    order = await club.spend(who, 50_000)
    await club.refund(order)
    # Then they keep gold: it was not reached through that order
    assert (await club.account(who[0]))["tier"]["code"] == "gold"


async def test_refund_respects_an_override_that_has_not_ended(club: Club) -> None:
    # Given a member on a gold override until 31 March who earns black with one order
    who = await club.customer()
    await club.spend(who, 10_000)
    response = await club.client.put(
        f"{BASE}/accounts/{who[0]}/tier",
        json={"tier": "gold", "until": "2026-03-31", "reason": "开业活动"},
        headers=await club.headers(),
    )
    assert response.status_code == 200, response.text
    order = await club.spend(who, 2_000_000)
    assert (await club.account(who[0]))["earned_tier"] == "black"
    # When the order is refunded
    await club.refund(order)
    # Then the earned tier drops to regular, while the override stays in force until it ends
    account = await club.account(who[0])
    assert (account["tier"]["code"], account["tier_source"], account["earned_tier"]) == (
        "gold",
        "override",
        "regular",
    )
    club.at(local(2026, 4, 1, 2, 0))
    await club.nightly()
    assert (await club.account(who[0]))["tier"]["code"] == "regular"


async def test_a_refund_takes_spend_from_the_window_it_was_earned_in(club: Club) -> None:
    # Given ¥20,000 spent on 10 March 2026 and ¥3,000 on 10 April 2027 (the first has left
    # the twelve-month window)
    who = await club.customer()
    old = await club.spend(who, 2_000_000)
    club.at(local(2027, 4, 10, 10, 0))
    await club.spend(who, 300_000)
    assert (await club.account(who[0]))["qualifying_spend"] == 300_000
    # When the old order is refunded now
    await club.refund(old)
    # Then the window still holds the ¥3,000: nothing already outside it is taken again
    account = await club.account(who[0])
    assert account["qualifying_spend"] == 300_000
    # And black, reached only through the refunded order, gives way to silver
    assert account["tier"]["code"] == "silver"


def test_points_for_counts_a_discount_booked_to_another_category() -> None:
    # Given ¥100 of maintenance and a ¥20 discount booked to "other" (net -¥20)
    settings = MembershipSettings()
    # When the order is priced
    points = points_for(
        settings,
        8_000,
        {"maintenance": 10_000, "other": -2_000},
        tier_multiplier=1.0,
        birthday=False,
    )
    # Then the member earns on the ¥80 paid
    assert points == 80


async def _order(club: Club, who: tuple[str, str], lines: list[dict[str, Any]]) -> str:
    order = await club.crm.order("SH001", who[0], who[1], lines=lines)
    club.mileage += 100
    await club.crm.complete(order["id"], club.mileage)
    await club.worker()
    return str(order["id"])


async def test_points_are_earned_on_the_total_after_discounts(club: Club) -> None:
    # Given a ¥100 service with a ¥20 discount and 4.5 L of oil at ¥19.99 (¥89.96)
    who = await club.customer()
    oil = {**line(1_999), "kind": "part", "quantity": 4.5}
    voucher = {**line(2_000), "kind": "discount", "description": "代金券"}
    # When the order completes and the worker runs
    order = await _order(club, who, [line(10_000), voucher, oil])
    # Then the member earns 169 points on ¥169.96 paid, and the spend counts ¥169.96
    account = await club.account(who[0])
    assert (account["balance"], account["qualifying_spend"]) == (169, 16_996)
    # And a refund takes back exactly that
    await club.refund(order)
    account = await club.account(who[0])
    assert (account["balance"], account["qualifying_spend"]) == (0, 0)
    (await club.books(who[0])).assert_balanced()
