"""Taking rewards back (``reward.revoked``): a referral found fraudulent after it was
rewarded, a refund after the window when the settings say so, and a grant that arrives
after the revocation. Each reward is revoked once, and membership voids it once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from pitstop.sdk import Event
from pitstop_referrals import rewards
from tests.plugins.referrals.on_kit.conftest import Desk

pytestmark = pytest.mark.asyncio(loop_scope="module")
BASE = "/api/v1/referrals"


@pytest_asyncio.fixture(loop_scope="module")
async def desk(shared_desk: Desk) -> AsyncIterator[Desk]:
    await shared_desk.reset()
    yield shared_desk


async def _rewarded(desk: Desk) -> tuple[dict[str, Any], dict[str, Any]]:
    """A referral whose window passed and both vouchers were granted, and its first order."""
    referral = await desk.referral()
    order = await desk.first_order(referral)
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    seen = await desk.get(referral)
    assert seen["status"] == "rewarded", seen
    return seen, order


async def _revocations(desk: Desk, seen: dict[str, Any]) -> list[str]:
    ids = {r["reward_id"] for r in seen["rewards"]}
    return sorted(
        e["reward_id"] for e in await desk.app.events("reward.revoked") if e["reward_id"] in ids
    )


async def _voucher_statuses(desk: Desk, seen: dict[str, Any]) -> set[str]:
    statuses = set()
    for side in ("referrer", "referee"):
        held = await desk.app.client().get(
            f"/api/v1/membership/accounts/{seen[f'{side}_id']}/vouchers"
        )
        statuses |= {v["status"] for v in held.json()}
    return statuses


async def test_rejecting_a_rewarded_referral_revokes_each_side_exactly_once(desk: Desk) -> None:
    # Given a rewarded referral
    seen, _ = await _rewarded(desk)
    manager = desk.client("store_manager")
    # When a manager rejects it as fraudulent, twice (a double click)
    first = await manager.post(f"{BASE}/{seen['id']}/reject", json={"reason": "同一家人冒充"})
    second = await manager.post(f"{BASE}/{seen['id']}/reject", json={"reason": "同一家人冒充"})
    await desk.app.drain()
    # Then it ends rejected, the second is refused naming the status
    assert (first.status_code, first.json()["status"]) == (200, "rejected")
    assert first.json()["reason"] == "rejected_after_reward"
    assert (second.status_code, second.json()["errors"][0]["field"]) == (422, "status")
    # And each side's reward is revoked: one reward.revoked per side, vouchers void
    after = await desk.get(seen)
    assert {r["side"]: r["status"] for r in after["rewards"]} == {
        "referee": "revoked", "referrer": "revoked",
    }  # fmt: skip
    assert await _revocations(desk, seen) == sorted(r["reward_id"] for r in seen["rewards"])
    assert await _voucher_statuses(desk, seen) == {"void"}
    # And an approval of a rewarded referral is still refused (only review is approved)
    other, _ = await _rewarded(desk)
    approve = await manager.post(f"{BASE}/{other['id']}/approve", json={"reason": "ok"})
    assert approve.status_code == 422


async def test_a_refund_after_the_window_takes_the_rewards_back_only_when_set(
    desk: Desk,
) -> None:
    # Given a rewarded referral and the default settings (the window is final)
    kept, kept_order = await _rewarded(desk)
    # When its first order is refunded after the window
    await desk.refund(kept_order)
    # Then the referral stays rewarded and nothing is revoked
    assert (await desk.get(kept))["status"] == "rewarded"
    assert await _revocations(desk, kept) == []
    # Given revoke_on_late_refund, when another rewarded referral's order is refunded
    await desk.settings(revoke_on_late_refund=True)
    taken, taken_order = await _rewarded(desk)
    await desk.refund(taken_order)
    # Then it is disqualified, and both vouchers are revoked once
    after = await desk.get(taken)
    assert (after["status"], after["reason"]) == ("disqualified", "refunded_after_reward")
    assert len(await _revocations(desk, taken)) == 2
    assert await _voucher_statuses(desk, taken) == {"void"}


async def test_a_grant_arriving_after_the_revocation_is_taken_back_once(desk: Desk) -> None:
    # Given a qualified referral whose rewards nobody answered yet (membership off)
    off = await desk.app.client().patch("/api/v1/plugins/membership", json={"enabled": False})
    assert off.status_code == 200, off.text
    referral = await desk.referral()
    await desk.first_order(referral)
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    seen = await desk.get(referral)
    assert seen["status"] == "qualified"
    # When it is rejected: the unanswered sides are revoked at once
    rejected = await desk.client("store_manager").post(
        f"{BASE}/{seen['id']}/reject", json={"reason": "刷单"}
    )
    assert rejected.status_code == 200, rejected.text
    assert len(await _revocations(desk, seen)) == 2
    # When a fulfiller's grant for one side arrives afterwards, twice
    row = seen["rewards"][0]
    payload = {"reward_id": row["reward_id"], "voucher_id": str(uuid.uuid4()), "value": 5_000}
    for _ in range(2):
        answer = Event(
            uuid.uuid4(), "reward.granted", desk.app.tenant_id, desk.app.clock(), payload
        )
        async with desk.app.context("referrals") as ctx:
            await rewards.on_answer(ctx, answer)
    await desk.app.drain()
    # Then that side was asked back once more (three revocations in all), and stays revoked
    assert len(await _revocations(desk, seen)) == 3
    after = {r["reward_id"]: r["status"] for r in (await desk.get(seen))["rewards"]}
    assert after[row["reward_id"]] == "revoked"
