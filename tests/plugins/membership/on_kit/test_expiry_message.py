"""Points about to expire reach the customer through ``ctx.notify`` (the shipped template)."""

from __future__ import annotations

from tests.plugins.membership.conftest import local
from tests.plugins.membership.on_kit.conftest import KitClub


async def test_the_expiry_warning_is_a_message_sent_once_when_the_window_opens(
    club: KitClub,
) -> None:
    # Given 200 points expiring on 1 April 2027
    who = await club.customer()
    await club.spend(who, 20_000)
    # When the night runs at 02:00 on 5 March 2027 and again the next night
    club.at(local(2027, 3, 5, 2, 0))
    await club.nightly()
    response = await club.app.client().get("/api/v1/messages", params={"customer_id": who[0]})
    [queued] = response.json()["items"]
    club.at(local(2027, 3, 6, 2, 0))
    await club.nightly()
    await club.worker()
    # Then one service message with the shipped template, held for the 09:00 window, then sent
    assert (queued["template"], queued["purpose"], queued["status"]) == (
        "points_expiring",
        "service",
        "queued",
    )
    assert queued["send_after"].startswith("2027-03-05T01:00")  # 09:00 in Shanghai
    response = await club.app.client().get("/api/v1/messages", params={"customer_id": who[0]})
    [sent] = response.json()["items"]
    assert (sent["id"], sent["status"]) == (queued["id"], "delivered")
