"""The state machine on an injected clock, on SQLite: free and small first orders, the
sweep when the task is lost, the staff-gaming and household signals at qualification, and
review of every referral without auto-approve. (The window itself: test_window.py, both
databases.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from pitstop_referrals.lifecycle import sweep
from tests.plugins.referrals.on_kit.conftest import Desk, lines

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def desk(shared_desk: Desk) -> AsyncIterator[Desk]:
    await shared_desk.reset()
    yield shared_desk


async def test_a_small_or_free_first_order(desk: Desk) -> None:
    # Given a referee whose first order is free (warranty) and then ¥150
    referral = await desk.referral()
    await desk.first_order(referral, total=0)
    # Then a free order is not their first paid one
    assert (await desk.get(referral))["status"] == "pending"
    await desk.first_order(referral, total=15_000)
    # And a paid one below the ¥200 minimum disqualifies
    seen = await desk.get(referral)
    assert (seen["status"], seen["reason"]) == ("disqualified", "first_order_below_minimum")


async def test_the_sweep_qualifies_a_referral_whose_task_was_lost(desk: Desk) -> None:
    # Given a qualifying referral whose deferred task is lost
    referral = await desk.referral()
    await desk.app.completed_order(str(referral["referee_id"]), lines=lines(30_000))
    await desk.app.drain()
    assert (await desk.get(referral))["status"] == "qualifying"
    desk.app.clock.advance(days=8)
    # When the nightly sweep runs before any task does
    async with desk.app.context("referrals") as ctx:
        assert await sweep(ctx) >= 1
    # Then the sweep alone has qualified it
    assert (await desk.get(referral))["status"] == "qualified"
    # And when the stray task and the reward answers run, it is rewarded, qualified once
    await desk.app.drain()
    seen = await desk.get(referral)
    assert seen["status"] == "rewarded"
    assert sorted(r["side"] for r in seen["rewards"]) == ["referee", "referrer"]
    assert len(await desk.app.events("referral.qualified")) == 1


async def test_the_linking_advisor_completing_the_order_at_once_is_staff_gaming(
    desk: Desk,
) -> None:
    # Given an advisor who links a referee and writes their first order within the hour
    referral = await desk.referral()
    advisor = desk.client("service_advisor")
    vehicle = await desk.app.vehicle(str(referral["referee_id"]))
    body = {"store_id": str(desk.app.stores["SH001"]), "customer_id": referral["referee_id"],
            "vehicle_id": vehicle["id"], "lines": lines(30_000)}  # fmt: skip
    opened = await advisor.post("/api/v1/service-orders", json=body)
    assert opened.status_code == 201, opened.text
    done = await advisor.post(
        f"/api/v1/service-orders/{opened.json()['id']}/complete", json={"mileage_km": 1000}
    )
    assert done.status_code == 200, done.text
    await desk.app.drain()
    # When the window passes
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    # Then it is held for review at qualification, and nothing is requested yet
    seen = await desk.get(referral)
    assert (seen["status"], seen["held_status"]) == ("review", "qualified")
    assert seen["signals"] == ["staff_gaming"] and seen["rewards"] == []
    assert seen["qualified_at"] is None  # not counted qualified while a reviewer decides
    # When a manager approves it
    approved = await desk.client("store_manager").post(
        f"/api/v1/referrals/{referral['id']}/approve", json={"reason": "已电话核实"}
    )
    await desk.app.drain()
    # Then the rewards are requested and granted
    assert approved.json()["status"] == "qualified" and approved.json()["qualified_at"]
    assert (await desk.get(referral))["status"] == "rewarded"


async def test_a_household_that_appears_in_the_window_holds_the_qualification(
    desk: Desk,
) -> None:
    # Given a clean referral whose referee buys their first order
    referrer = await desk.app.customer(email="li.home@example.cn")
    code = await desk.code(str(referrer["id"]))
    referee = await desk.app.customer()
    response = await desk.try_link(code["code"], str(referee["id"]))
    linked = response.json()
    assert linked["status"] == "pending", response.text
    await desk.first_order(linked)
    # And the referee's e-mail is changed to the referrer's during the window
    changed = await desk.app.client().patch(
        f"/api/v1/customers/{referee['id']}", json={"email": "LI.home@example.cn"}
    )
    assert changed.status_code == 200, changed.text
    # When the window passes
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    # Then the referral is held for review where it would have qualified, nothing asked for
    seen = await desk.get(linked)
    assert (seen["status"], seen["held_status"]) == ("review", "qualified")
    assert seen["signals"] == ["same_household"] and seen["rewards"] == []


async def test_without_auto_approve_every_qualified_referral_waits_for_review(
    desk: Desk,
) -> None:
    # Given auto-approve off
    await desk.settings(auto_approve=False)
    referral = await desk.referral()
    await desk.first_order(referral)
    # When the window passes
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    # Then the clean referral is held for review as qualified
    seen = await desk.get(referral)
    assert (seen["status"], seen["held_status"], seen["signals"]) == ("review", "qualified", [])
