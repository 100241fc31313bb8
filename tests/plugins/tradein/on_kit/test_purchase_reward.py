"""The purchase reward: the seller asked a reward through the reward contract when the shop
buys their car (per ``purchase_reward``), fulfilled by membership, once, and the answer
kept on the lead."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

import pitstop_membership
import pitstop_tradein
from pitstop.sdk import Event
from pitstop.testing import plugin_app
from pitstop_tradein import rewards
from tests.plugins.tradein.on_kit.conftest import BOOK, CAMRY, START, Yard
from tests.support.kit import DEMO_STORES

SETTINGS = "/api/v1/plugins/tradein"
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_yard(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Yard]:
    """One app for the module (~2 s to make): each test resets what it changes."""
    async with plugin_app(
        pitstop_tradein, pitstop_membership, stores=DEMO_STORES, start=START,
        directory=tmp_path_factory.mktemp("tradein_rewards"),
    ) as app:  # fmt: skip
        admin = app.client("hq_admin")
        table = await admin.put(
            "/api/v1/tradein/price-table", json={"rows": [{**CAMRY, "base_value": BOOK}]}
        )
        template = await admin.post(
            "/api/v1/membership/voucher-templates",
            json={"code": "TRADEIN500", "title": "置换礼", "kind": "amount", "amount": 50_000,
                  "valid_days": 90},
        )  # fmt: skip
        assert (table.status_code, template.status_code) == (200, 201), template.text
        yield Yard(app)


@pytest_asyncio.fixture(loop_scope="module")
async def yard(shared_yard: Yard) -> AsyncIterator[Yard]:
    admin = shared_yard.app.client()
    on = await admin.patch("/api/v1/plugins/membership", json={"enabled": True})
    none = await admin.patch(SETTINGS, json={"settings": {"purchase_reward": {"kind": "none"}}})
    assert (on.status_code, none.status_code) == (200, 200)
    yield shared_yard


async def _bought(yard: Yard, from_us: bool) -> dict[str, Any]:
    lead, offer = await yard.offered()
    accepted = await yard.act(lead, f"/offers/{offer['id']}/accept")
    replacement = {"bought_from_us": from_us, **({"amount": 25_000_000} if from_us else {})}
    bought = await yard.act(
        lead, "/purchase", {"price": offer["amount"], "replacement": replacement}
    )
    assert (accepted.status_code, bought.status_code) == (200, 200), bought.text
    await yard.app.drain()
    return lead


async def test_the_seller_gets_the_purchase_voucher_once(yard: Yard) -> None:
    # Given a voucher for sellers who buy their next car from us
    reward = {"kind": "voucher", "voucher_template": "TRADEIN500", "only_with_replacement": True}
    saved = await yard.app.client().patch(SETTINGS, json={"settings": {"purchase_reward": reward}})
    assert saved.status_code == 200, saved.text
    # When one seller's car is bought with the replacement from us, another's without
    rewarded = await _bought(yard, from_us=True)
    plain = await _bought(yard, from_us=False)
    # Then only the first seller was asked a reward, with the lead's own reward id
    mine = {rewarded["id"], plain["id"]}
    asked = [e for e in await yard.app.events("reward.requested") if e["source"]["id"] in mine]
    assert [(e["customer_id"], e["source"]) for e in asked] == [
        (rewarded["customer_id"], {"plugin": "tradein", "type": "purchase", "id": rewarded["id"]})
    ]
    assert asked[0]["reward_id"] == str(
        rewards.reward_id(yard.app.tenant_id, uuid.UUID(rewarded["id"]))
    )
    # And membership gave them one TRADEIN500 voucher, recorded on the lead
    held = await yard.app.client().get(
        f"/api/v1/membership/accounts/{rewarded['customer_id']}/vouchers"
    )
    assert [v["status"] for v in held.json()] == ["issued"]
    assert (await yard.get(rewarded))["reward_status"] == "granted"
    assert (await yard.get(plain))["reward_status"] is None
    # When the answer is delivered again, Then nothing changes (the first answer is kept)
    again = {"reward_id": asked[0]["reward_id"], "reason": "budget_exhausted"}
    async with yard.app.context("tradein") as ctx:
        await rewards.on_answer(
            ctx, Event(uuid.uuid4(), "reward.rejected", ctx.tenant_id, ctx.now(), again)
        )
    assert (await yard.get(rewarded))["reward_status"] == "granted"


async def test_points_for_a_non_member_are_rejected_and_bad_settings_named(yard: Yard) -> None:
    # Given 500 points per purchase
    reward = {"kind": "points", "points": 500}
    saved = await yard.app.client().patch(SETTINGS, json={"settings": {"purchase_reward": reward}})
    assert saved.status_code == 200, saved.text
    # When a car of a customer who is no member is bought
    lead = await _bought(yard, from_us=False)
    # Then membership refused, and the lead says why
    seen = await yard.get(lead)
    assert (seen["reward_status"], seen["reward_reason"]) == ("rejected", "not_enrolled")
    # And a voucher reward without a template is refused, naming the field
    bad = await yard.app.client().patch(
        SETTINGS, json={"settings": {"purchase_reward": {"kind": "voucher"}}}
    )
    assert bad.status_code == 422
    (error,) = bad.json()["errors"]
    assert error["field"] == "settings.purchase_reward" and "voucher_template" in error["message"]


async def test_an_unanswered_reward_is_asked_again_once_the_next_night(yard: Yard) -> None:
    # Given a purchase voucher, and membership switched off: nobody answers
    reward = {"kind": "voucher", "voucher_template": "TRADEIN500"}
    saved = await yard.app.client().patch(SETTINGS, json={"settings": {"purchase_reward": reward}})
    off = await yard.app.client().patch("/api/v1/plugins/membership", json={"enabled": False})
    assert (saved.status_code, off.status_code) == (200, 200), off.text
    lead = await _bought(yard, from_us=False)
    assert (await yard.get(lead))["reward_status"] == "pending_fulfilment"
    # When membership is switched on, the reward setting removed, and the next night runs
    on = await yard.app.client().patch("/api/v1/plugins/membership", json={"enabled": True})
    none = await yard.app.client().patch(
        SETTINGS, json={"settings": {"purchase_reward": {"kind": "none"}}}
    )
    assert (on.status_code, none.status_code) == (200, 200)
    yard.app.clock.advance(days=1, hours=1)
    await yard.app.drain(schedule="nightly")
    # Then the same reward was asked once more, as asked at purchase, and is now granted
    asked = [
        e for e in await yard.app.events("reward.requested") if e["source"]["id"] == lead["id"]
    ]
    assert [e["reward_id"] for e in asked] == [asked[0]["reward_id"]] * 2
    assert asked[1]["voucher_template"] == "TRADEIN500"
    assert (await yard.get(lead))["reward_status"] == "granted"
    # And a night later nobody is asked a third time
    yard.app.clock.advance(days=1)
    await yard.app.drain(schedule="nightly")
    again = [
        e for e in await yard.app.events("reward.requested") if e["source"]["id"] == lead["id"]
    ]
    assert len(again) == len(asked)
