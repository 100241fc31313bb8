"""Rewards through the reward contract: one request per side ever, the answers recorded,
caps and tier bonuses, and what happens when nobody fulfils."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from pitstop.sdk import Event
from pitstop_referrals import rewards
from pitstop_referrals.models import Referral
from tests.plugins.referrals.on_kit.conftest import Desk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def desk(shared_desk: Desk) -> AsyncIterator[Desk]:
    await shared_desk.reset()
    yield shared_desk


async def _qualified(desk: Desk, code: str | None = None) -> dict[str, Any]:
    """A referral (of ``code``'s referrer, when given) whose window has passed."""
    if code is None:
        referral = await desk.referral()
    else:
        referee = await desk.app.customer()
        referral = (await desk.try_link(code, str(referee["id"]))).json()
    await desk.first_order(referral)
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    return await desk.get(referral)


def _sides(referral: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {r["side"]: (r["status"], r["reason"]) for r in referral["rewards"]}


async def test_both_sides_get_their_voucher_once_with_a_deterministic_reward_id(
    desk: Desk,
) -> None:
    # Given a referral whose window passed
    seen = await _qualified(desk)
    # Then each side was granted its voucher and the referral is rewarded
    assert seen["status"] == "rewarded"
    assert _sides(seen) == {"referee": ("granted", None), "referrer": ("granted", None)}
    by_side = {r["side"]: r for r in seen["rewards"]}
    expected = rewards.reward_id(desk.app.tenant_id, uuid.UUID(seen["id"]), "referrer")
    assert by_side["referrer"]["reward_id"] == str(expected)
    # And the referrer holds the REFERRAL50 voucher, the referee WELCOME30
    for side, template in (("referrer", "REFERRAL50"), ("referee", "WELCOME30")):
        customer = seen[f"{side}_id"]
        held = await desk.app.client().get(f"/api/v1/membership/accounts/{customer}/vouchers")
        assert [v["id"] for v in held.json()] == [by_side[side]["voucher_id"]]
        assert by_side[side]["voucher_template"] == template
    # And referral.rewarded went out once, ids only
    (event,) = [
        e for e in await desk.app.events("referral.rewarded") if e["referral_id"] == seen["id"]
    ]
    assert event["referral_id"] == seen["id"] and event["status"] == "rewarded"


async def test_duplicate_and_late_events_reward_each_side_once_ever(desk: Desk) -> None:
    # Given a rewarded referral
    seen = await _qualified(desk)
    referral_id = uuid.UUID(seen["id"])
    # When the qualification runs again, rewards are asked again, and an answer is repeated
    granted = next(r for r in seen["rewards"] if r["side"] == "referrer")
    payload = {"reward_id": granted["reward_id"], "voucher_id": str(uuid.uuid4())}
    answer = Event(uuid.uuid4(), "reward.granted", desk.app.tenant_id, desk.app.clock(), payload)
    async with desk.app.context("referrals") as ctx:
        row = await ctx.session.get(Referral, (ctx.tenant_id, referral_id))
        assert row is not None
        row.status = "qualified"  # as if a late duplicate found it mid-way
        await rewards.request(ctx, row)
        await rewards.on_answer(ctx, answer)
    await desk.app.drain()
    # Then nothing more was requested or recorded: one voucher each, the first answer kept
    again = await desk.get(seen)
    assert again["rewards"] == seen["rewards"]
    requested = await desk.app.events("reward.requested")
    assert len([e for e in requested if e["source"]["id"] == seen["id"]]) == 2
    for side in ("referrer", "referee"):
        held = await desk.app.client().get(
            f"/api/v1/membership/accounts/{seen[f'{side}_id']}/vouchers"
        )
        assert len(held.json()) == 1


async def test_the_yearly_cap_stops_the_referrer_side_not_the_referee(desk: Desk) -> None:
    # Given a cap of one referrer reward a year and a referrer with two referees
    await desk.settings(max_rewards_per_referrer_per_year=1)
    code = (await desk.code())["code"]
    first = await _qualified(desk, code)
    second = await _qualified(desk, code)
    # Then the first rewards both sides, the second only the referee
    assert _sides(first)["referrer"] == ("granted", None)
    assert _sides(second) == {"referee": ("granted", None), "referrer": ("capped", None)}
    assert second["status"] == "rewarded"
    # And a new calendar year opens the cap again
    now = desk.app.clock()
    desk.app.clock.set(dt.datetime(now.year + 1, 1, 2, 2, tzinfo=dt.UTC))
    renewed = (await desk.code(second["referrer_id"]))["code"]  # the old code expired
    third = await _qualified(desk, renewed)
    assert _sides(third)["referrer"] == ("granted", None)


async def test_a_tier_bonus_at_the_nth_successful_referral(desk: Desk) -> None:
    # Given a bonus of 1,000 points at the 2nd successful referral
    await desk.settings(tiers=[{"at": 2, "reward": {"kind": "points", "points": 1000}}])
    code = (await desk.code())["code"]
    first = await _qualified(desk, code)
    second = await _qualified(desk, code)
    # Then only the second carries the bonus (rejected: the referrer is no member)
    assert "bonus" not in _sides(first)
    assert _sides(second)["bonus"] == ("rejected", "not_enrolled")
    # And a rejected side is still settled: the referral is rewarded
    assert second["status"] == "rewarded"


async def test_without_membership_rewards_stay_pending_fulfilment(desk: Desk) -> None:
    # Given the tenant turned membership off
    off = await desk.app.client().patch("/api/v1/plugins/membership", json={"enabled": False})
    assert off.status_code == 200, off.text
    # When a referral qualifies
    seen = await _qualified(desk)
    # Then both rewards were asked for and wait, and the referral stays qualified
    assert seen["status"] == "qualified"
    assert _sides(seen) == {
        "referee": ("pending_fulfilment", None), "referrer": ("pending_fulfilment", None),
    }  # fmt: skip
    # When the tenant turns membership on and the next night runs
    on = await desk.app.client().patch("/api/v1/plugins/membership", json={"enabled": True})
    assert on.status_code == 200, on.text
    desk.app.clock.advance(days=1)
    await desk.app.drain(schedule="nightly")
    # Then each side was asked once more, with the same reward id, and is now granted
    requested = await desk.app.events("reward.requested")
    ids = sorted(e["reward_id"] for e in requested if e["source"]["id"] == seen["id"])
    assert ids == sorted(2 * [r["reward_id"] for r in seen["rewards"]])
    after = await desk.get(seen)
    assert after["status"] == "rewarded"
    assert {s for s, _ in _sides(after).values()} == {"granted"}
    # And a night later nobody is asked a third time
    desk.app.clock.advance(days=1)
    await desk.app.drain(schedule="nightly")
    assert len(await desk.app.events("reward.requested")) == len(requested)


async def test_the_cost_per_acquired_customer_prices_points_at_the_shops_point_value(
    desk: Desk,
) -> None:
    # Given a member referrer earning 500 points, referees a ¥30 voucher, a point costing
    # the shop 2 fen, and two referrals of that referrer rewarded
    await desk.settings(referrer_reward={"kind": "points", "points": 500}, point_value_fen=2)
    referrer = await desk.app.customer()
    enrolled = await desk.app.client().post(
        f"/api/v1/membership/accounts/{referrer['id']}/enrol", json={}
    )
    assert enrolled.status_code in (200, 201), enrolled.text
    code = (await desk.code(str(referrer["id"])))["code"]
    since = desk.app.clock()
    made = [await _qualified(desk, code) for _ in range(2)]
    assert [(r["status"], _sides(r)["referrer"]) for r in made] == 2 * [
        ("rewarded", ("granted", None))
    ]
    window = {"from": since.isoformat(), "to": desk.app.clock().isoformat()}
    # When HQ reads the KPIs of the period they were linked in
    kpis = (await desk.app.client().get("/api/v1/referrals/kpis", params=window)).json()
    # Then the cost counts both: (2 x 3,000 fen of vouchers + 1,000 points x 2 fen) / 2
    assert (kpis["rewarded"], kpis["points_granted"], kpis["voucher_value_granted"]) == (
        2, 1_000, 6_000,
    )  # fmt: skip
    assert (kpis["points_cost"], kpis["cost_per_acquired_customer"]) == (2_000, 4_000)
    assert kpis["points_per_rewarded"] == 500.0
    # When the shop sets no point value (0), the points are not priced
    await desk.settings(point_value_fen=0)
    kpis = (await desk.app.client().get("/api/v1/referrals/kpis", params=window)).json()
    # Then the cost is the vouchers' alone, 6,000 / 2, and the points still counted apart
    assert (kpis["points_cost"], kpis["cost_per_acquired_customer"]) == (None, 3_000)
    assert kpis["points_per_rewarded"] == 500.0
    # And a negative point value is refused, naming the field
    bad = await desk.app.client().patch(
        "/api/v1/plugins/referrals", json={"settings": {"point_value_fen": -1}}
    )
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["settings.point_value_fen"]
