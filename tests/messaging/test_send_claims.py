"""The send-claim: a channel without an idempotency key is never handed a message twice
because a worker died mid-send. The claim is committed before the provider is called; a
redelivered copy finding it open asks the provider (``status``) or marks the message
``unconfirmed``. The crash is simulated here (the worker's steps run by hand, the last
one never); tests/e2e/test_send_claim_kill.py kills a real worker process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging import sending
from pitstop.messaging.sending import MAX_ATTEMPTS
from pitstop.plugin_host.notify import channels_for
from pitstop.sdk import ChannelFailed, Outbound, PluginInfo, Receipt, hookimpl
from pitstop.testing import PluginApp, plugin_app
from tests.messaging.conftest import log, message


class Courier:
    """A provider with no idempotency key: every call is a text."""

    name, reaches = "courier", "sms"
    capabilities = frozenset({"customer"})
    settings = None

    def __init__(self) -> None:
        self.sent: list[Outbound] = []

    async def send(self, message: Outbound) -> Receipt:
        self.sent.append(message)
        return Receipt(f"courier-{len(self.sent)}")


class QueryableCourier(Courier):
    """The same provider, able to say whether it took a given try."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[uuid.UUID, int]] = []
        self.unsure = 0
        """How many questions to answer "cannot tell yet" first."""
        self.never_sure: set[uuid.UUID] = set()
        """Messages it never can tell about."""

    async def status(self, message: Outbound) -> Receipt | None:
        self.asked.append((message.message_id, message.attempt))
        if self.unsure or message.message_id in self.never_sure:
            self.unsure = max(0, self.unsure - 1)
            raise ChannelFailed("courier: status unknown yet", retry=True)
        for number, sent in enumerate(self.sent, start=1):
            if (sent.message_id, sent.attempt) == (message.message_id, message.attempt):
                return Receipt(f"courier-{number}")
        return None


class CourierPlugin:
    def __init__(self, channel: Courier) -> None:
        self.channel = channel

    @hookimpl
    def plugin_info(self) -> PluginInfo:
        return PluginInfo(name="courier", version="0.1.0", title="Courier", sdk=">=1.2,<2")

    @hookimpl
    def channels(self) -> list[Any]:
        return [self.channel]


@pytest.fixture
async def courier(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, QueryableCourier]]:
    channel = QueryableCourier()
    async with plugin_app(CourierPlugin(channel), directory=tmp_path) as app:
        yield app, channel


async def notify(app: PluginApp, **arguments: Any) -> uuid.UUID:
    arguments.setdefault("purpose", "service")
    arguments.setdefault("template", "points_expiring")
    arguments.setdefault("data", {"points": 120, "expires_on": "2026-04-01"})
    async with app.context("courier") as ctx:
        return await ctx.notify(**arguments)


async def _die_mid_send(app: PluginApp, message_id: uuid.UUID, *, reached: bool) -> None:
    """A worker's first two steps: the claim committed, then the provider called (or not
    yet: ``reached=False``) - and the worker dies before it records the answer."""
    runtime = app._runtime
    with tenant_scope(app.tenant_id):
        async with runtime.sessions() as session, session.begin():
            available = await channels_for(runtime.plugins, session)
            step = await sending.prepare(session, message_id, channels=available, now=app.clock())
    assert isinstance(step, sending.Prepared) and step.claimed
    if reached:
        await sending.call(step)


async def test_an_interrupted_send_is_not_resent_blind(tmp_path: Path) -> None:
    channel = Courier()
    async with plugin_app(CourierPlugin(channel), directory=tmp_path) as app:
        customer = await app.customer(name="钱多多", phone="13911114444")
        # Given a message whose worker died after the provider took it, before recording it
        message_id = await notify(app, customer_id=uuid.UUID(customer["id"]))
        await _die_mid_send(app, message_id, reached=True)
        # When the broker redelivers it to another worker
        await app.drain()
        # Then the provider saw one text, and the contact log asks staff to reconcile it
        assert len(channel.sent) == 1
        entry = await message(app, message_id)
        assert entry["status"] == "unconfirmed" and entry["attempts"] == 1
        assert [m["id"] for m in await log(app, status="unconfirmed")] == [str(message_id)]


async def test_the_provider_is_asked_where_it_can_answer(
    courier: tuple[PluginApp, QueryableCourier],
) -> None:
    app, channel = courier
    customer = uuid.UUID((await app.customer(name="孙小美", phone="13911115555"))["id"])
    # Given one message the provider took and one it never saw, both workers dead, and a
    # provider that cannot answer at the first question
    took = await notify(app, customer_id=customer)
    await _die_mid_send(app, took, reached=True)
    lost = await notify(app, customer_id=customer, template="voucher_expiring",
                        data={"title": "洗车券", "valid_until": "2026-04-01"})  # fmt: skip
    await _die_mid_send(app, lost, reached=False)
    unknown = await notify(app, customer_id=customer, template="service_due",
                           data={"store_name": "一号店", "due_date": "2026-03-20"})  # fmt: skip
    await _die_mid_send(app, unknown, reached=True)
    channel.unsure, channel.never_sure = 1, {unknown}
    # When the broker redelivers them (and retries what it could not settle)
    await app.drain()
    # Then the taken one is recorded sent with the provider's receipt, not sent again
    assert (await message(app, took))["status"] == "sent"
    assert (await message(app, took))["receipt_id"] == "courier-1"
    # And the lost one, which the provider has no record of, went once, as a new attempt
    sent = [(m.message_id, m.attempt) for m in channel.sent]
    assert sent == [(took, 1), (unknown, 1), (lost, 2)]
    entry = await message(app, lost)
    assert (entry["status"], entry["attempts"], entry["receipt_id"]) == ("sent", 2, "courier-3")
    # And the one the provider never could tell about was asked a bounded number of times,
    # then left for staff, never resent
    assert (await message(app, unknown))["status"] == "unconfirmed"
    asked = [message_id for message_id, _ in channel.asked]
    assert (asked.count(took), asked.count(lost), asked.count(unknown)) == (2, 1, MAX_ATTEMPTS)


async def test_a_slow_worker_settles_what_another_marked_unconfirmed(tmp_path: Path) -> None:
    channel = Courier()
    async with plugin_app(CourierPlugin(channel), directory=tmp_path) as app:
        customer = await app.customer(name="周一", phone="13911116666")
        message_id = await notify(app, customer_id=uuid.UUID(customer["id"]))
        runtime = app._runtime
        with tenant_scope(app.tenant_id):
            # Given a worker that claimed the try and is still waiting for the provider
            async with runtime.sessions() as session, session.begin():
                available = await channels_for(runtime.plugins, session)
                step = await sending.prepare(
                    session, message_id, channels=available, now=app.clock()
                )
            assert isinstance(step, sending.Prepared)
            answer = await sending.call(step)
            # And a redelivered copy that found the claim open and marked it unconfirmed
            await app.drain()
            assert (await message(app, message_id))["status"] == "unconfirmed"
            # When the first worker records the provider's answer after all
            async with runtime.sessions() as session, session.begin():
                await sending.settle(session, step, answer, app.clock())
        # Then the message is sent, once, with the provider's receipt
        entry = await message(app, message_id)
        assert (entry["status"], entry["receipt_id"]) == ("sent", "courier-1")
        assert len(channel.sent) == 1


async def test_staff_settle_an_unconfirmed_message(tmp_path: Path) -> None:
    channel = Courier()
    async with plugin_app(CourierPlugin(channel), directory=tmp_path) as app:
        customer = uuid.UUID((await app.customer(name="郑先生", phone="13911118888"))["id"])
        # Given two messages a dead worker left unconfirmed
        went, lost = await notify(app, customer_id=customer), await notify(
            app, customer_id=customer, template="voucher_expiring",
            data={"title": "洗车券", "valid_until": "2026-04-01"},
        )  # fmt: skip
        await _die_mid_send(app, went, reached=True)
        await _die_mid_send(app, lost, reached=False)
        await app.drain()
        assert {(await message(app, m))["status"] for m in (went, lost)} == {"unconfirmed"}
        # When a store manager tries, and HQ names a message that is not this tenant's
        path = f"/api/v1/messages/{went}/reconcile"
        manager = await app.client("store_manager").post(path, json={"outcome": "sent"})
        unknown = await app.client().post(
            f"/api/v1/messages/{uuid.uuid4()}/reconcile", json={"outcome": "sent"}
        )
        bad = await app.client().post(path, json={"outcome": "maybe"})
        # Then they are refused, and a bad outcome is named
        assert (manager.status_code, unknown.status_code) == (403, 404)
        assert bad.status_code in (400, 422) and "outcome" in bad.text
        # When HQ records that one went and the other never reached the provider
        sent = await app.client().post(path, json={"outcome": "sent"})
        again = await app.client().post(
            f"/api/v1/messages/{lost}/reconcile", json={"outcome": "not_sent"}
        )
        assert (sent.status_code, again.status_code) == (200, 200), sent.text + again.text
        await app.drain()
        # Then the first is sent without sending, the second went once more as attempt 2
        assert (await message(app, went))["status"] == "sent"
        assert (await message(app, lost))["status"] == "sent"
        assert [(m.message_id, m.attempt) for m in channel.sent] == [(went, 1), (lost, 2)]
        # And settling twice is refused; each settlement is in the audit log
        twice = await app.client().post(path, json={"outcome": "not_sent"})
        assert twice.status_code == 409
        audit = await app.client().get("/api/v1/audit", params={"action": "message.reconciled"})
        assert sorted(e["detail"]["outcome"] for e in audit.json()["items"]) == [
            "not_sent",
            "sent",
        ]
