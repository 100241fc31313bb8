"""On PostgreSQL, vouchers under concurrency: one redemption of a code however many desks
type it at once, one voucher per reward id, never past a template's budget. Each attempt is
its own request or transaction (its own connection), run side by side with
``asyncio.gather``; SQLite serialises writers, so it proves nothing there."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import func, select

from pitstop.db.tenant_context import tenant_scope
from pitstop.sdk import Event, PluginContext
from pitstop_membership.rewards import on_reward_requested
from pitstop_membership.voucher_models import Voucher
from tests.conftest import ON_POSTGRES
from tests.plugins.membership.conftest import BASE, Club, line

T = TypeVar("T")
pytestmark = ON_POSTGRES


async def _in_transaction(club: Club, action: Callable[[PluginContext], Awaitable[T]]) -> T:
    runtime = club.demo.runtime
    with tenant_scope(club.crm.tenant_id):
        async with runtime.sessions() as session, session.begin():
            ctx = await runtime.plugins.context(session, "membership")
            return await action(ctx)


async def _template(club: Club, **fields: Any) -> dict[str, Any]:
    body = {"code": "RUSH", "title": "抢券", "kind": "amount", "amount": 5_000,
            "valid_days": 30, **fields}  # fmt: skip
    response = await club.client.post(
        f"{BASE}/voucher-templates", json=body, headers=await club.headers()
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _vouchers(club: Club) -> int:
    async with club.context() as ctx:
        return int(await ctx.session.scalar(select(func.count()).select_from(Voucher)) or 0)


async def test_20_parallel_redemptions_of_one_code_succeed_exactly_once(club: Club) -> None:
    # Given a customer holding one voucher, and 20 open orders of theirs
    who = await club.customer()
    made = await _template(club)
    issued = await club.client.post(
        f"{BASE}/vouchers",
        json={"template_id": made["id"], "customer_id": who[0], "reason": "召回"},
        headers=await club.headers(),
    )
    code = issued.json()["code"]
    orders = [
        (await club.crm.order("SH001", who[0], who[1], lines=[line(30_000)]))["id"]
        for _ in range(20)
    ]
    headers = await club.headers()

    async def attempt(order_id: str) -> tuple[int, str]:
        response = await club.client.post(
            f"/api/v1/service-orders/{order_id}/vouchers", json={"code": code}, headers=headers
        )
        return response.status_code, response.json().get("code", "")

    # When the code is typed on all 20 at the same instant
    outcomes = await asyncio.gather(*(attempt(order_id) for order_id in orders))
    # Then exactly one order took it; the others were refused, naming why
    assert [status for status, _ in outcomes].count(200) == 1, outcomes
    assert {code for status, code in outcomes if status != 200} == {"voucher_applied"}
    # And exactly one order carries the discount
    totals = [
        (await club.client.get(f"/api/v1/service-orders/{o}", headers=headers)).json()["total"]
        for o in orders
    ]
    assert sorted(totals) == [25_000] + [30_000] * 19


def _request(customer_id: str, reward_id: uuid.UUID) -> Event:
    payload = {
        "reward_id": str(reward_id),
        "customer_id": customer_id,
        "kind": "voucher",
        "voucher_template": "RUSH",
        "reason": "推荐",
        "source": {"plugin": "referrals", "type": "referral", "id": "1"},
        "points": 0,
    }
    return Event(uuid.uuid4(), "reward.requested", uuid.uuid4(), dt.datetime.now(dt.UTC), payload)


async def test_one_reward_delivered_eight_times_at_once_issues_one_voucher(club: Club) -> None:
    # Given a template and a customer
    await _template(club)
    who = await club.customer()
    event = _request(who[0], uuid.uuid4())

    async def handle(ctx: PluginContext) -> None:
        await on_reward_requested(ctx, event)

    # When eight deliveries of one reward.requested run at once
    await asyncio.gather(*(_in_transaction(club, handle) for _ in range(8)))
    # Then one voucher exists and one answer went out
    assert await _vouchers(club) == 1
    assert len(await club.crm.events("reward.granted")) == 1


async def test_20_parallel_rewards_never_issue_past_the_budget(club: Club) -> None:
    # Given a template with a budget of 5
    await _template(club, budget=5)
    who = await club.customer()

    async def handle(ctx: PluginContext) -> None:
        await on_reward_requested(ctx, _request(who[0], uuid.uuid4()))

    # When 20 different rewards are fulfilled at once
    await asyncio.gather(*(_in_transaction(club, handle) for _ in range(20)))
    # Then 5 vouchers exist; 15 requests were rejected budget_exhausted
    assert await _vouchers(club) == 5
    rejected = await club.crm.events("reward.rejected")
    assert [e["reason"] for e in rejected] == ["budget_exhausted"] * 15
