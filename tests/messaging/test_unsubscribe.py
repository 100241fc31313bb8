"""Withdrawal as easy as consent: a "TD" reply relayed by a gateway, and the link every
marketing message carries - each withdraws marketing on that medium, and only that."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pitstop.testing import PluginApp, plugin_app
from tests.messaging import notifier
from tests.messaging.conftest import consent, message, notify
from tests.support.capture_channel import CaptureChannel, CapturePlugin


@pytest.fixture
async def kit(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, CaptureChannel]]:
    capture = CapturePlugin("capture")
    async with plugin_app(notifier, capture, directory=tmp_path) as app:
        yield app, capture.channel


async def _promote(app: PluginApp, customer_id: str) -> str:
    sent = await notify(app, customer_id=uuid.UUID(customer_id), purpose="marketing")
    return str((await message(app, sent))["status"])


async def test_a_td_reply_withdraws_marketing_by_sms_and_nothing_else(
    kit: tuple[PluginApp, CaptureChannel],
) -> None:
    app, _ = kit
    # Given a customer who opted in to promotions by SMS
    customer = await app.customer(name="王芳", phone="13911112222")
    await consent(app, customer["id"], "marketing", True)
    relay = app.client()  # HQ holds messages:inbound and mints the gateway's key
    # When the gateway relays a thank-you, Then nothing changes
    thanks = await relay.post(
        "/api/v1/messages/inbound",
        json={"channel": "sms", "from": "+8613911112222", "text": "谢谢"},
    )
    assert thanks.json() == {"keyword": False, "unsubscribed": 0}
    # When it relays "td." from the same number spelt differently
    reply = {"channel": "sms", "from": "139 1111 2222", "text": " td. "}
    answer = await relay.post("/api/v1/messages/inbound", json=reply)
    # Then one record withdrew, and the next promotion is suppressed
    assert answer.json() == {"keyword": True, "unsubscribed": 1}
    assert await _promote(app, customer["id"]) == "suppressed:no_consent"
    # And the history says how, while service reminders still go
    history = (await relay.get(f"/api/v1/customers/{customer['id']}/consents")).json()["history"]
    assert history[-1] | {"changed_at": ""} == {
        "purpose": "marketing", "channel": "sms", "granted": False, "source": "sms_reply",
        "notice_version": "", "changed_at": "",
    }  # fmt: skip
    app.clock.advance(minutes=1)
    reminder = await notify(app, customer_id=uuid.UUID(customer["id"]))
    assert (await message(app, reminder))["status"] == "queued"
    # And the 360° profile's last contacts show both, newest first, with no address
    profile = (await relay.get(f"/api/v1/customers/{customer['id']}/profile")).json()
    [section] = [s for s in profile["sections"] if s["plugin"] == "messaging"]
    contacts = section["data"]["contacts"]
    assert [(c["purpose"], c["status"]) for c in contacts] == [
        ("service", "queued"), ("marketing", "suppressed:no_consent")
    ]  # fmt: skip
    assert "13911112222" not in str(section)
    # And a repeat, a number nobody has, a bad number and a role without the permission
    assert (await relay.post("/api/v1/messages/inbound", json=reply)).json()["unsubscribed"] == 0
    stranger = {**reply, "from": "13800000000"}
    assert (await relay.post("/api/v1/messages/inbound", json=stranger)).json()["unsubscribed"] == 0
    bad = await relay.post("/api/v1/messages/inbound", json={**reply, "from": "abc"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
    advisor = app.client("service_advisor")
    assert (await advisor.post("/api/v1/messages/inbound", json=reply)).status_code == 403


async def test_the_link_in_a_promotion_withdraws_with_one_post_and_a_forgery_nothing(
    kit: tuple[PluginApp, CaptureChannel],
) -> None:
    app, channel = kit
    # Given an opted-in customer sent a promotion through the tenant's channel
    customer = await app.customer(name="赵磊", phone="13911113333")
    await consent(app, customer["id"], "marketing", True)
    assert await _promote(app, customer["id"]) == "queued"
    await app.drain()
    [sent] = channel.sent
    token = sent.data["unsubscribe_token"]
    anonymous = app.http  # no token, no tenant: the customer has no account
    # When the customer opens the link, Then a page with one button, nothing changed yet
    page = await anonymous.get(f"/api/v1/unsubscribe/{token}")
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert await _promote(app, customer["id"]) == "queued"
    # When they press it
    done = await anonymous.post(f"/api/v1/unsubscribe/{token}")
    # Then marketing by SMS is withdrawn, from the link
    assert done.status_code == 200 and "已退订" in done.text
    assert await _promote(app, customer["id"]) == "suppressed:no_consent"
    consents = (await app.client().get(f"/api/v1/customers/{customer['id']}/consents")).json()
    assert consents["history"][-1]["source"] == "unsubscribe_link"
    # And a tampered token, another customer's id under this signature, or junk is a 404
    other = await app.customer(name="钱七", phone="13911114444")
    body, mac = token.split(".")
    forged = body[:-8] + other["id"].replace("-", "")[:8] + "." + mac
    for bad in (forged, token[:-2], "junk", "a.b"):
        assert (await anonymous.post(f"/api/v1/unsubscribe/{bad}")).status_code == 404
    # And a service message carries no token
    await notify(app, customer_id=uuid.UUID(other["id"]))
    await app.drain()
    assert "unsubscribe_token" not in channel.sent[-1].data
