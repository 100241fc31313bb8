"""The sms plugin in the app: credentials sealed and never shown, a notify sent through the
fake provider, delivery reports recorded (and other messages' ids ignored), and a worker
that dies after the provider accepted - before its commit - not texting twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

import pitstop_sms
from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging import sending
from pitstop.plugin_host.notify import channels_for
from pitstop.tenancy.models import TenantPlugin
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.sms.fake_aliyun import KEY_ID, KEY_SECRET, FakeAliyun, fake_aliyun


@pytest.fixture
async def sms(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, FakeAliyun]]:
    with fake_aliyun() as provider:
        settings = {
            "access_key_id": KEY_ID,
            "access_key_secret": KEY_SECRET,
            "sign_name": "驰途汽修",
            "templates": {"service_due": "SMS_460100002"},
            "endpoint": provider.url,
        }
        async with plugin_app(pitstop_sms, settings=settings, directory=tmp_path) as app:
            yield app, provider


async def _stored_settings(app: PluginApp) -> dict[str, object]:
    runtime = app._runtime
    async with runtime.sessions() as session:
        with tenant_scope(app.tenant_id):
            row = (
                await session.scalars(select(TenantPlugin).where(TenantPlugin.plugin == "sms"))
            ).one()
            return dict(row.settings)


async def _notify(app: PluginApp, customer_id: str) -> uuid.UUID:
    async with app.context("sms") as ctx:
        return await ctx.notify(
            customer_id=uuid.UUID(customer_id),
            purpose="service",
            template="service_due",
            data={"store_name": "一号店", "due_date": "2026-03-20"},
        )


async def test_credentials_are_sealed_at_rest_and_never_returned(
    sms: tuple[PluginApp, FakeAliyun],
) -> None:
    app, provider = sms
    # Given the plugin configured with an AccessKey secret
    # Then the database row does not hold it in clear
    stored = await _stored_settings(app)
    assert KEY_SECRET not in str(stored) and str(stored["access_key_secret"]).startswith("sealed:")
    # And the plugins API shows only that it is set
    shown = (await app.client().get("/api/v1/plugins/sms")).json()["settings"]
    assert shown["access_key_secret"] == "********" and shown["access_key_id"] == KEY_ID
    # When an unrelated setting changes, the sealed secret is kept as it was
    patched = await app.client().patch(
        "/api/v1/plugins/sms", json={"settings": {"sign_name": "驰途"}}
    )
    assert patched.status_code == 200, patched.text
    assert (await _stored_settings(app))["access_key_secret"] == stored["access_key_secret"]
    # And a bad setting is refused naming the field
    bad = await app.client().patch(
        "/api/v1/plugins/sms", json={"settings": {"templates": {"service_due": "123"}}}
    )
    assert bad.status_code == 422 and "settings.templates" in bad.text
    # And the channel still signs with the opened secret: the provider accepts the text
    customer = await app.customer(name="李雷", phone="13911112222")
    await _notify(app, customer["id"])
    await app.drain()
    [request] = provider.accepted
    assert request["PhoneNumbers"] == "13911112222" and request["SignName"] == "驰途"


async def test_receipts_are_recorded_and_a_crash_before_commit_does_not_resend(
    sms: tuple[PluginApp, FakeAliyun],
) -> None:
    app, provider = sms
    customer = await app.customer(name="韩梅梅", phone="13911113333")
    # Given a message queued for the worker
    message_id = await _notify(app, customer["id"])
    # When a worker sends it and dies before its commit (the provider accepted; the
    # transaction that would record it is rolled back, as a kill -9 leaves it)
    runtime = app._runtime
    async with runtime.sessions() as session:
        with tenant_scope(app.tenant_id):
            await session.begin()
            available = await channels_for(runtime.plugins, session)
            await sending.send(session, message_id, channels=available, now=app.clock())
            await session.rollback()
    assert len(provider.accepted) == 1
    # And the broker redelivers it to another worker
    await app.drain()
    # Then the provider refused the repeat: one text, and the log shows it sent once
    assert len(provider.accepted) == 1
    log = await app.client().get("/api/v1/messages", params={"customer_id": customer["id"]})
    [entry] = log.json()["items"]
    assert entry["status"] == "sent" and entry["receipt_id"].startswith("aliyun:unconfirmed:")

    # Given a second message, sent normally, with the provider's BizId as receipt
    second = await _notify_again(app, customer["id"])
    await app.drain()
    biz_id = await _receipt(app, customer["id"], second)
    report = {"success": True, "biz_id": biz_id, "out_id": str(second), "err_code": "DELIVERED",
              "phone_number": "13911113333", "send_time": "2026-03-02 10:00:00"}  # fmt: skip
    # When reports arrive naming it, another message with a guessed receipt, and junk ids
    forged = {**report, "out_id": str(message_id)}
    junk = {**report, "out_id": "not-a-uuid", "biz_id": "x"}
    answer = await app.client().post("/api/v1/sms/receipts", json=[report, forged, junk])
    # Then only the real one is recorded, delivered
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"msg": ""} == {"code": 0, "msg": "", "recorded": 1, "ignored": 2}
    assert await _status(app, customer["id"], second) == "delivered"
    assert await _status(app, customer["id"], message_id) == "sent"
    # And a role without sms:receipts may not post reports; bad bodies name the field
    refused = await app.client("service_advisor").post("/api/v1/sms/receipts", json=[report])
    assert refused.status_code == 403
    bad = await app.client().post("/api/v1/sms/receipts", json=[{"success": "yes"}])
    assert bad.status_code in (400, 422) and "success" in bad.text


async def _notify_again(app: PluginApp, customer_id: str) -> uuid.UUID:
    async with app.context("sms") as ctx:
        return await ctx.notify(
            customer_id=uuid.UUID(customer_id),
            purpose="transactional",  # not capped: the first service_due went today
            template="service_due",
            data={"store_name": "二号店", "due_date": "2026-03-21"},
        )


async def _entry(app: PluginApp, customer_id: str, message_id: uuid.UUID) -> dict[str, object]:
    log = await app.client().get("/api/v1/messages", params={"customer_id": customer_id})
    return next(e for e in log.json()["items"] if e["id"] == str(message_id))


async def _receipt(app: PluginApp, customer_id: str, message_id: uuid.UUID) -> str:
    return str((await _entry(app, customer_id, message_id))["receipt_id"])


async def _status(app: PluginApp, customer_id: str, message_id: uuid.UUID) -> str:
    return str((await _entry(app, customer_id, message_id))["status"])
