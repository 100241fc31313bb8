"""The reward contract on the real Dramatiq worker: a requester plugin emits
``reward.requested`` in a committed transaction, the worker delivers it to membership,
which issues the voucher once and answers ``reward.granted``, delivered back to the
requester — every hop through the broker, with ids only in its messages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant
from tests.conftest import Drain
from tests.plugins.membership.on_kit.test_rewards import Goodwill, request
from tests.support.demo import Demo

BASE = "/api/v1/membership"


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The installed plugins and a requester that is not membership."""
    rt = Runtime.build(settings, extra_plugins=[Goodwill()], poolclass=NullPool)
    try:
        yield rt
    finally:
        await rt.close()


async def test_a_reward_request_is_granted_once_through_the_worker(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    # Given the demo chain with the requester on, a voucher template and a customer
    Goodwill.answers = []
    admin = await demo.headers()
    enabled = await demo.client.put(
        "/api/v1/plugins/goodwill", json={"enabled": True}, headers=admin
    )
    assert enabled.status_code == 200, enabled.text
    template = await demo.client.post(
        f"{BASE}/voucher-templates",
        json={"code": "REFERRAL50", "title": "推荐礼", "kind": "amount", "amount": 5_000,
              "valid_days": 30},
        headers=admin,
    )  # fmt: skip
    assert template.status_code == 201, template.text
    customer = await demo.client.post(
        "/api/v1/customers", json={"name": "关羽", "phone": "13700007777"}, headers=admin
    )
    customer_id = customer.json()["id"]
    seen: list[Any] = []
    enqueue = runtime.broker.enqueue

    def spy(message: Any, *, delay: int | None = None) -> Any:
        seen.append(message.asdict())
        return enqueue(message, delay=delay)

    runtime.broker.enqueue = spy  # type: ignore[method-assign]
    # When the requester asks for the same reward twice in a committed transaction
    reward = request(customer_id)
    async with runtime.sessions() as session, session.begin():
        chain = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
        with tenant_scope(chain):
            ctx: Any = await runtime.plugins.context(session, "goodwill")
            await ctx.emit("reward.requested", reward)
            await ctx.emit("reward.requested", reward)
    await worker()
    # Then the customer holds exactly one REFERRAL50 voucher
    held = await demo.client.get(f"{BASE}/accounts/{customer_id}/vouchers", headers=admin)
    (voucher,) = held.json()
    assert (voucher["status"], voucher["reason"]) == ("issued", "推荐新客")
    # And the requester heard one reward.granted, naming the voucher by id and its value
    assert Goodwill.answers == [
        ("reward.granted", {"reward_id": str(reward.reward_id), "voucher_id": voucher["id"],
                            "ledger_entry_id": None, "value": 5000}),
    ]  # fmt: skip
    # And the broker carried ids only: never the code, the name or the phone
    text = json.dumps(seen, ensure_ascii=False, default=str)
    assert seen and voucher["code"] not in text
    assert "关羽" not in text and "13700007777" not in text
    # (each hop is one publish_event: the worker delivers in the relay's transaction)
    assert {m["actor_name"] for m in seen} >= {"pitstop.publish_event"}
