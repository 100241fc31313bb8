"""Earning on completed orders and taking points back on refunds, through the worker."""

from __future__ import annotations

import pytest

from pitstop_membership.earning import points_for
from pitstop_membership.settings import MembershipSettings, Rounding
from tests.plugins.membership.conftest import BASE, Club, local


def test_points_round_down_on_whole_yuan_by_default() -> None:
    # Given the default programme: 1 point per yuan, rounding down
    settings = MembershipSettings()
    # When an order of ¥123.99 is priced
    points = points_for(
        settings, 12_399, {"maintenance": 12_399}, tier_multiplier=1.0, birthday=False
    )
    # Then it earns 123 points
    assert points == 123


def test_category_tier_and_birthday_multipliers_compound_before_rounding() -> None:
    # Given beauty work at ×2, a gold member (×1.5) in their birthday month (×2)
    settings = MembershipSettings(
        category_multipliers={"beauty": 2.0}, birthday_multiplier=2.0, rounding=Rounding.nearest
    )
    # When ¥100.50 of beauty and ¥50 of maintenance are priced
    points = points_for(
        settings,
        15_050,
        {"beauty": 10_050, "maintenance": 5_000},
        tier_multiplier=1.5,
        birthday=True,
    )
    # Then (100.5×2 + 50) × 1.5 × 2 = 753 points
    assert points == 753


async def test_completed_order_earns_points_with_the_store_and_order(club: Club) -> None:
    # Given a customer
    who = await club.customer()
    # When an order of ¥350.80 completes at SH002 and the worker runs
    order_id = await club.spend(who, 35_080, store="SH002")
    # Then the member has 350 points, one earn entry naming the order and store
    assert (await club.account(who[0]))["balance"] == 350
    response = await club.client.get(
        f"{BASE}/accounts/{who[0]}/ledger", headers=await club.headers()
    )
    items = response.json()["items"]
    assert [(e["kind"], e["points"], e["order_id"]) for e in items] == [("earn", 350, order_id)]
    assert items[0]["store_id"] == club.crm.stores["SH002"]
    (await club.books(who[0])).assert_balanced()


async def test_birthday_month_multiplies_points(club: Club) -> None:
    # Given a programme with a ×2 birthday month and a customer born in March
    await club.enable(birthday_multiplier=2.0)
    born_in_march = await club.customer(birthday="1990-03-21")
    born_in_june = await club.customer(birthday="1990-06-01")
    # When both spend ¥100 on 10 March
    await club.spend(born_in_march, 10_000)
    await club.spend(born_in_june, 10_000)
    # Then only the March birthday earns double
    assert (await club.account(born_in_march[0]))["balance"] == 200
    assert (await club.account(born_in_june[0]))["balance"] == 100


async def test_pending_points_cannot_be_spent_early(club: Club) -> None:
    # Given a 7-day pending period and a member who earned 500 points today
    await club.enable(pending_days=7)
    who = await club.customer()
    await club.spend(who, 50_000)
    account = await club.account(who[0])
    assert (account["balance"], account["pending"], account["spendable"]) == (500, 500, 0)
    # When they try to spend on day 6
    club.at(local(2026, 3, 16, 10, 0))
    early = await club.redeem(who[0], 100)
    # Then it is refused, and on day 7 it succeeds
    assert early.status_code == 422 and early.json()["code"] == "insufficient_points"
    club.at(local(2026, 3, 17, 10, 0))
    on_time = await club.redeem(who[0], 100)
    assert on_time.status_code == 200, on_time.text
    assert on_time.json()["balance"] == 400
    (await club.books(who[0])).assert_balanced()


async def test_auto_enrol_off_earns_nothing_for_non_members(club: Club) -> None:
    # Given auto-enrol switched off
    await club.enable(auto_enrol="off")
    who = await club.customer()
    # When a non-member's order completes
    await club.spend(who, 10_000)
    # Then there is no account
    response = await club.client.get(f"{BASE}/accounts/{who[0]}", headers=await club.headers())
    assert response.status_code == 404 and response.json()["code"] == "not_enrolled"


@pytest.mark.parametrize(
    ("policy", "balance", "entry_points"),
    [("allow_negative", -200, -500), ("cap_at_zero", 0, -300)],
)
async def test_refund_claws_back_per_policy(
    club: Club, policy: str, balance: int, entry_points: int
) -> None:
    # Given a member who earned 500 points on an order and spent 200 of them
    await club.enable(clawback=policy)
    who = await club.customer()
    order_id = await club.spend(who, 50_000)
    assert (await club.redeem(who[0], 200)).status_code == 200
    # When the order is refunded
    await club.refund(order_id)
    # Then all 500 are taken back (owing 200), or only the 300 still held
    account = await club.account(who[0])
    assert account["balance"] == balance
    ledger = (
        await club.client.get(f"{BASE}/accounts/{who[0]}/ledger", headers=await club.headers())
    ).json()["items"]
    assert [(e["kind"], e["points"]) for e in ledger][-1] == ("reverse", entry_points)
    # And the refunded spend no longer counts towards a tier
    assert account["qualifying_spend"] == 0
    (await club.books(who[0])).assert_balanced()


async def test_debt_is_repaid_by_the_next_earning(club: Club) -> None:
    # Given a member who owes 200 points after a refund
    who = await club.customer()
    order_id = await club.spend(who, 50_000)
    assert (await club.redeem(who[0], 200)).status_code == 200
    await club.refund(order_id)
    # When they earn 300 points
    await club.spend(who, 30_000)
    # Then the balance is 100, all of it spendable
    account = await club.account(who[0])
    assert (account["balance"], account["spendable"]) == (100, 100)
    (await club.books(who[0])).assert_balanced()


async def test_a_second_refund_changes_nothing(club: Club) -> None:
    # Given a member with an earned-then-refunded order
    who = await club.customer()
    order_id = await club.spend(who, 20_000)
    await club.refund(order_id)
    # When the refund is refused a second time by the CRM (already refunded)
    again = await club.client.post(
        f"/api/v1/service-orders/{order_id}/refund",
        json={"reason": "重复"},
        headers=await club.headers(),
    )
    # Then the ledger has exactly one earn and one reverse
    assert again.status_code == 409
    books = await club.books(who[0])
    assert sorted(str(e.kind) for e in books.entries) == ["earn", "reverse"]
    assert books.account.balance == 0
