"""The reward contract end to end on the kit: a test plugin asks, membership answers once.

``goodwill`` here is a minimal plugin that emits the convention type ``reward.requested``
(undeclared, as the contract says) and records the answers it is delivered.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import pitstop_membership
from pitstop.sdk import (
    Event,
    EventHandler,
    EventType,
    PluginContext,
    PluginInfo,
    RewardGranted,
    RewardRequested,
    RewardRevoked,
    RewardSource,
    UndeclaredEvent,
    hookimpl,
)
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.membership.conftest import BASE, local
from tests.support.kit import DEMO_STORES


class Goodwill:
    """A requester: emits reward.requested, hears reward.granted / reward.rejected."""

    answers: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    @staticmethod
    @hookimpl
    def plugin_info() -> PluginInfo:
        return PluginInfo(name="goodwill", version="0.0.1", title="Goodwill", sdk=">=1.2,<2")

    @staticmethod
    @hookimpl
    def subscriptions() -> dict[str, EventHandler]:
        async def record(ctx: PluginContext, event: Event) -> None:
            Goodwill.answers.append((event.type, dict(event.payload)))

        return {"reward.granted": record, "reward.rejected": record}


@pytest.fixture
async def app(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[PluginApp]:
    Goodwill.answers = []
    async with plugin_app(
        pitstop_membership,
        Goodwill(),
        stores=DEMO_STORES,
        start=local(2026, 3, 10, 10, 0),
        directory=tmp_path,
        **server_database,
    ) as kit:
        response = await kit.client().post(
            f"{BASE}/voucher-templates",
            json={"code": "REFERRAL50", "title": "推荐礼", "kind": "amount", "amount": 5_000,
                  "valid_days": 30, "budget": 2},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        yield kit


def request(customer_id: str, reward_id: uuid.UUID | None = None, **fields: Any) -> RewardRequested:
    body: dict[str, Any] = {"kind": "voucher", "voucher_template": "REFERRAL50", **fields}
    return RewardRequested(
        reward_id=reward_id or uuid.uuid4(),
        customer_id=uuid.UUID(customer_id),
        reason="推荐新客",
        source=RewardSource(plugin="goodwill", type="apology", id="42"),
        **body,
    )


async def ask(app: PluginApp, *requests: RewardRequested) -> None:
    async with app.context("goodwill") as ctx:
        for each in requests:
            await ctx.emit("reward.requested", each)
    await app.drain()


async def vouchers_of(app: PluginApp, customer_id: str) -> list[dict[str, Any]]:
    response = await app.client().get(f"{BASE}/accounts/{customer_id}/vouchers")
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_a_requested_voucher_is_granted_and_the_answer_comes_back(app: PluginApp) -> None:
    # Given a customer
    customer = str((await app.customer())["id"])
    reward_id = uuid.uuid4()
    # When the goodwill plugin requests a voucher for them and the worker runs
    await ask(app, request(customer, reward_id))
    # Then the customer holds one REFERRAL50 voucher
    (held,) = await vouchers_of(app, customer)
    assert (held["status"], held["reason"]) == ("issued", "推荐新客")
    # And goodwill heard reward.granted naming it, by id (never the code), with its ¥50 face
    assert Goodwill.answers == [
        ("reward.granted", {"reward_id": str(reward_id), "voucher_id": held["id"],
                            "ledger_entry_id": None, "value": 5_000}),
    ]  # fmt: skip
    assert held["code"] not in str(await app.events("reward.granted"))


async def test_duplicates_and_redelivery_of_one_reward_give_one_voucher(app: PluginApp) -> None:
    # Given one reward requested three times (a retrying requester), and again later
    customer = str((await app.customer())["id"])
    reward_id = uuid.uuid4()
    await ask(app, *[request(customer, reward_id)] * 3)
    await ask(app, request(customer, reward_id))
    # Then one voucher exists and one answer went out
    assert len(await vouchers_of(app, customer)) == 1
    assert [kind for kind, _ in Goodwill.answers] == ["reward.granted"]


async def test_points_need_a_member_and_are_clawed_back_on_revoke(app: PluginApp) -> None:
    # Given a customer who is not a member
    customer = str((await app.customer())["id"])
    refused = uuid.uuid4()
    # When 500 points are requested
    await ask(app, request(customer, refused, kind="points", points=500, voucher_template=None))
    # Then it is rejected as not_enrolled
    assert Goodwill.answers[-1] == (
        "reward.rejected",
        {"reward_id": str(refused), "reason": "not_enrolled"},
    )
    # When they enrol and the reward is requested again under a new id
    enrolled = await app.client().post(f"{BASE}/accounts/{customer}/enrol")
    assert enrolled.status_code == 200, enrolled.text
    granted = uuid.uuid4()
    await ask(app, request(customer, granted, kind="points", points=500, voucher_template=None))
    # Then the member holds 500 points and the answer names the ledger entry
    kind, payload = Goodwill.answers[-1]
    assert kind == "reward.granted" and payload["ledger_entry_id"] is not None
    assert payload["value"] is None  # points have no fen value in the programme
    balance = (await app.client().get(f"{BASE}/accounts/{customer}")).json()["balance"]
    assert balance == 500
    # When the requester revokes it (twice)
    async with app.context("goodwill") as ctx:
        for _ in range(2):
            await ctx.emit("reward.revoked", RewardRevoked(granted, "推荐作弊"))
    await app.drain()
    # Then the points are taken back once
    assert (await app.client().get(f"{BASE}/accounts/{customer}")).json()["balance"] == 0


async def test_a_revoked_voucher_is_voided_and_a_spent_budget_rejects(app: PluginApp) -> None:
    # Given two vouchers granted (the template's whole budget of two)
    customer = str((await app.customer())["id"])
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await ask(app, request(customer, first), request(customer, second))
    # When a third is requested
    await ask(app, request(customer, third))
    # Then it is rejected: budget_exhausted
    assert Goodwill.answers[-1] == (
        "reward.rejected",
        {"reward_id": str(third), "reason": "budget_exhausted"},
    )
    # When the first is revoked
    async with app.context("goodwill") as ctx:
        await ctx.emit("reward.revoked", RewardRevoked(first, "推荐作弊"))
    await app.drain()
    # Then its voucher is void and the other still issued
    statuses = sorted(v["status"] for v in await vouchers_of(app, customer))
    assert statuses == ["issued", "void"]


async def test_only_membership_may_answer_and_nobody_may_declare_a_convention(
    app: PluginApp,
) -> None:
    # When the requester tries to emit a grant itself
    async with app.context("goodwill") as ctx:
        with pytest.raises(UndeclaredEvent, match="membership declares it"):
            await ctx.emit("reward.granted", RewardGranted(uuid.uuid4()))
    # And when a plugin declares a convention type
    with pytest.raises(ValueError, match="convention types"):
        PluginInfo(
            name="x",
            version="1",
            title="x",
            events=(EventType("reward.requested", RewardRequested),),
        )
