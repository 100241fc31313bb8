"""The webhook channel against a local gateway: signatures, retries with backoff, failures,
the replay window - and end to end from ``ctx.notify`` through the worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import pitstop_webhook
from pitstop.sdk import ChannelFailed, Outbound
from pitstop.testing import PluginApp, plugin_app
from pitstop_webhook.channel import WebhookChannel
from pitstop_webhook.settings import WebhookSettings
from pitstop_webhook.signing import HEADER, sign, verify
from tests.plugins.webhook.gateway import Gateway, gateway

SECRET = "whsec-test-0123456789"
NOW = 1_773_108_000.0


def _outbound(url: str, **settings: object) -> Outbound:
    return Outbound(
        message_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        purpose="service",
        template="points_expiring",
        to="+8613900000001",
        body="您有120积分将于2026-04-01到期",
        settings=WebhookSettings(url=url, secret=SECRET, **settings),  # type: ignore[arg-type]
    )


def _channel(waits: list[float]) -> WebhookChannel:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return WebhookChannel(sleep=sleep, now=lambda: NOW)


async def test_a_failing_gateway_is_retried_with_doubling_waits_and_every_try_signed() -> None:
    # Given a gateway that fails twice, then answers with its own id
    waits: list[float] = []
    with gateway((500, {}), (503, {}), (200, {"id": "gw-42"})) as gw:
        message = _outbound(gw.url)
        # When the channel sends
        receipt = await _channel(waits).send(message)
    # Then it tried three times, waiting 0.5 s then 1 s, and the receipt is the gateway's id
    assert receipt.provider_id == "gw-42" and waits == [0.5, 1.0]
    assert len(gw.received) == 3
    for request in gw.received:
        assert verify(SECRET, request.headers[HEADER], request.body, now=NOW)
        assert request.headers["X-Pitstop-Message-Id"] == str(message.message_id)
        assert request.json["to"] == message.to and request.json["body"] == message.body


async def test_a_refusal_fails_at_once_and_exhaustion_asks_the_worker_to_retry() -> None:
    waits: list[float] = []
    # Given a gateway that refuses the request (400), Then one try and a final failure
    with gateway((400, {"error": "bad template"})) as gw, pytest.raises(ChannelFailed) as refused:
        await _channel(waits).send(_outbound(gw.url))
    assert not refused.value.retry and len(gw.received) == 1
    # Given one that keeps failing, Then after `attempts` tries the worker is asked to retry
    with gateway((500, {}), (502, {}), (429, {})) as gw, pytest.raises(ChannelFailed) as exhausted:
        await _channel(waits).send(_outbound(gw.url, attempts=3))
    assert exhausted.value.retry and len(gw.received) == 3
    # And a channel that is not set up fails for good without calling anyone
    with pytest.raises(ChannelFailed) as unset:
        await _channel(waits).send(_outbound(""))
    assert not unset.value.retry


def test_verification_refuses_forgeries_tampering_and_replays() -> None:
    body = b'{"message_id": "m"}'
    header = sign(SECRET, int(NOW), body)
    assert verify(SECRET, header, body, now=NOW + 299)
    assert not verify("another-secret", header, body, now=NOW)
    assert not verify(SECRET, header, body + b" ", now=NOW)
    assert not verify(SECRET, header, body, now=NOW + 301)  # outside the replay window
    assert not verify(SECRET, "t=abc,v1=00", body, now=NOW)


@pytest.fixture
async def hooked(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, Gateway]]:
    with gateway((200, {"id": "gw-1"})) as gw:
        settings = {"url": gw.url, "secret": SECRET, "backoff_ms": 0}
        async with plugin_app(pitstop_webhook, settings=settings, directory=tmp_path) as app:
            yield app, gw


async def test_notify_goes_out_through_the_tenants_webhook(
    hooked: tuple[PluginApp, Gateway],
) -> None:
    app, gw = hooked
    # Given a customer, and the webhook channel on for the tenant
    customer = await app.customer(name="李雷", phone="13911112222")
    # When a plugin notifies them and the worker runs
    async with app.context("webhook") as ctx:
        message_id = await ctx.notify(
            customer_id=uuid.UUID(customer["id"]),
            purpose="service",
            template="service_due",
            data={"store_name": "一号店", "due_date": "2026-03-20"},
        )
    await app.drain()
    # Then the gateway got one signed request with the address and the rendered body
    [request] = gw.received
    assert request.json["to"] == "+8613911112222"
    assert request.json["body"].startswith("李雷您好")
    assert request.json["message_id"] == str(message_id)
    # And the log says sent by webhook with the gateway's receipt
    log = await app.client().get("/api/v1/messages", params={"customer_id": customer["id"]})
    [entry] = log.json()["items"]
    assert (entry["channel"], entry["status"], entry["receipt_id"]) == ("webhook", "sent", "gw-1")
    # And the plugins API never shows the secret
    shown = (await app.client().get("/api/v1/plugins/webhook")).json()["settings"]
    assert shown["secret"] == "********" and shown["url"] == gw.url
