"""On PostgreSQL, the referral under concurrency: the two sides' answers delivered on two
workers at once still end the referral ``rewarded``, and qualifications racing (the
deferred task and the nightly sweep, redelivered) ask for each side's reward once. Each
attempt is its own transaction on its own connection, run side by side with
``asyncio.gather``; SQLite serialises writers, so it proves nothing there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from pitstop.sdk import Event, PluginContext
from pitstop_referrals import lifecycle, rewards
from pitstop_referrals.models import ReferralReward
from tests.conftest import ON_POSTGRES
from tests.plugins.referrals.on_kit.conftest import Desk

pytestmark = ON_POSTGRES


async def _at_once(desk: Desk, *actions: Callable[[PluginContext], Awaitable[Any]]) -> None:
    """Each action in its own transaction (its own connection), all started together."""

    async def run(action: Callable[[PluginContext], Awaitable[Any]]) -> None:
        async with desk.app.context("referrals") as ctx:
            await action(ctx)

    await asyncio.gather(*(run(action) for action in actions))


async def _past_window(desk: Desk) -> dict[str, Any]:
    """A referral whose first order completed and whose window has just passed, its
    ``qualify`` task not yet run."""
    referral = await desk.referral()
    await desk.first_order(referral)
    desk.app.clock.advance(days=8)
    return referral


async def test_both_answers_at_once_leave_the_referral_rewarded(both_desk: Desk) -> None:
    desk = both_desk
    # Given two qualified referrals whose rewards are unanswered (membership off)
    off = await desk.app.client().patch("/api/v1/plugins/membership", json={"enabled": False})
    assert off.status_code == 200, off.text
    referrals = [await _past_window(desk) for _ in range(2)]
    await desk.app.drain()
    rows = [row for r in referrals for row in (await desk.get(r))["rewards"]]
    assert {row["status"] for row in rows} == {"pending_fulfilment"}

    def answer(row: dict[str, Any]) -> Callable[[PluginContext], Awaitable[None]]:
        payload = {"reward_id": row["reward_id"], "voucher_id": str(uuid.uuid4()), "value": 1}
        event = Event(uuid.uuid4(), "reward.granted", desk.app.tenant_id, desk.app.clock(), payload)
        return lambda ctx: rewards.on_answer(ctx, event)

    # When reward.granted for every side is handled on its own worker at the same instant
    await _at_once(desk, *(answer(row) for row in rows))
    # Then each answer saw the other side's: every referral is rewarded, announced once
    announced = [e["referral_id"] for e in await desk.app.events("referral.rewarded")]
    for referral in referrals:
        after = await desk.get(referral)
        assert after["status"] == "rewarded"
        assert {r["status"] for r in after["rewards"]} == {"granted"}
        assert announced.count(referral["id"]) == 1


async def test_racing_qualifications_ask_for_each_side_once(both_desk: Desk) -> None:
    desk = both_desk
    # Given a referral past its window, its task not yet run
    referral = await _past_window(desk)

    async def qualify(ctx: PluginContext) -> None:
        await lifecycle.qualify(ctx, referral_id=referral["id"])

    async def sweep(ctx: PluginContext) -> None:
        await lifecycle.sweep(ctx)

    # When the task, a redelivered task and the nightly sweep all run at once
    await _at_once(desk, qualify, qualify, sweep, sweep)
    # Then one reward row per side exists, and each side was asked for once
    async with desk.app.context("referrals") as ctx:
        rows = (
            await ctx.session.scalars(
                select(ReferralReward.side).where(
                    ReferralReward.referral_id == uuid.UUID(referral["id"])
                )
            )
        ).all()
    assert sorted(rows) == ["referee", "referrer"]
    requested = await desk.app.events("reward.requested")
    asked = [e["customer_id"] for e in requested if e["source"]["id"] == referral["id"]]
    assert sorted(asked) == sorted([referral["referee_id"], referral["referrer_id"]])
    qualified = await desk.app.events("referral.qualified")
    assert [e["referral_id"] for e in qualified].count(referral["id"]) == 1
    # And once the answers come, the referral is rewarded
    await desk.app.drain()
    assert (await desk.get(referral))["status"] == "rewarded"
