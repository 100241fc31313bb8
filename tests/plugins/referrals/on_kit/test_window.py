"""The return window on an injected clock, on SQLite and PostgreSQL (row locks): the
first paid order starts it, the deferred task qualifies at its end, and a refund inside
it disqualifies while one after it does not."""

from __future__ import annotations

from tests.plugins.referrals.on_kit.conftest import Desk


async def test_the_first_paid_order_qualifies_after_the_window(both_desk: Desk) -> None:
    desk = both_desk
    # Given a clean referral and the referee's first paid order of ¥300
    referral = await desk.referral()
    order = await desk.first_order(referral, total=30_000)
    # Then it is qualifying, until completion + 7 days
    seen = await desk.get(referral)
    assert (seen["status"], seen["order_id"], seen["order_total"]) == (
        "qualifying", order["id"], 30_000,
    )  # fmt: skip
    # When six days pass, nothing moves
    desk.app.clock.advance(days=6)
    await desk.app.drain()
    assert (await desk.get(referral))["status"] == "qualifying"
    # When the seventh day passes, the deferred task qualifies it and asks for rewards
    desk.app.clock.advance(days=1, minutes=1)
    await desk.app.drain()
    seen = await desk.get(referral)
    assert seen["status"] == "rewarded" and seen["qualified_at"] is not None
    assert [e["referral_id"] for e in await desk.app.events("referral.qualified")] == [
        referral["id"]
    ]


async def test_a_refund_inside_the_window_disqualifies_and_outside_does_not(
    both_desk: Desk,
) -> None:
    desk = both_desk
    # Given two referees with first orders completed now
    inside, outside = await desk.referral(), await desk.referral()
    early = await desk.first_order(inside)
    late = await desk.first_order(outside)
    # When one is refunded on day 3
    desk.app.clock.advance(days=3)
    await desk.refund(early)
    # Then it is disqualified with the reason, and qualifies no more
    seen = await desk.get(inside)
    assert (seen["status"], seen["reason"]) == ("disqualified", "refunded_in_window")
    (event,) = await desk.app.events("referral.disqualified")
    assert event["reason"] == "refunded_in_window"
    # When the window passes and the other is refunded on day 10
    desk.app.clock.advance(days=7)
    await desk.app.drain()
    await desk.refund(late)
    # Then the other stays rewarded, and the disqualified one stays disqualified
    assert (await desk.get(outside))["status"] == "rewarded"
    assert (await desk.get(inside))["status"] == "disqualified"
