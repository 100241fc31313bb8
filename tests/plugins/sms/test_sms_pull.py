"""Delivery reports pulled from Aliyun with ``QuerySendDetails`` on the plugin's schedule,
for a tenant Aliyun cannot push to: delivered and failed recorded, waiting ones asked
again, a text whose BizId died with its worker found by OutId - and nothing asked when
pulling is off."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import select

import pitstop_sms
from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging import sending
from pitstop.messaging.models import Message
from pitstop.plugin_host.notify import channels_for
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.sms.fake_aliyun import KEY_ID, KEY_SECRET, FakeAliyun, fake_aliyun


@pytest.fixture
async def pulling(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, FakeAliyun]]:
    with fake_aliyun() as provider:
        settings = {
            "access_key_id": KEY_ID,
            "access_key_secret": KEY_SECRET,
            "sign_name": "驰途汽修",
            "templates": {"service_due": "SMS_460100002"},
            "endpoint": provider.url,
            "pull_reports": True,
        }
        async with plugin_app(pitstop_sms, settings=settings, directory=tmp_path) as app:
            yield app, provider


async def _notify(app: PluginApp, customer_id: str) -> uuid.UUID:
    async with app.context("sms") as ctx:
        return await ctx.notify(
            customer_id=uuid.UUID(customer_id),
            purpose="transactional",
            template="service_due",
            data={"store_name": "一号店", "due_date": "2026-03-20"},
        )


async def _statuses(app: PluginApp) -> dict[str, tuple[str, str | None]]:
    """Each message's status through the API, with the reason the log keeps for a failure."""
    items = (await app.client().get("/api/v1/messages")).json()["items"]
    async with app._runtime.sessions() as session:
        with tenant_scope(app.tenant_id):
            rows = await session.execute(select(Message.id, Message.reason))
            reasons = {message_id: reason for message_id, reason in rows}
    return {item["id"]: (item["status"], reasons[uuid.UUID(item["id"])]) for item in items}


async def test_reports_are_pulled_and_recorded(pulling: tuple[PluginApp, FakeAliyun]) -> None:
    app, provider = pulling
    phones = ("13911110001", "13911110002", "13911110003")
    customers = [await app.customer(name=f"客户{n}", phone=p) for n, p in enumerate(phones)]
    # Given three texts sent: Aliyun has one delivered, one failed, one still waiting
    sent = [await _notify(app, c["id"]) for c in customers]
    await app.drain()
    delivered, failed, waiting = provider.biz_ids
    provider.reports = {delivered: (3, "DELIVERED"), failed: (2, "MOBILE_NOT_ON_SERVICE")}
    # When the schedule runs
    with structlog.testing.capture_logs() as logs:
        await app.drain(schedule="pull_reports")
    # Then no log line names a number (Aliyun's answer holds them and the texts)
    assert not any(phone in json.dumps(logs, default=str) for phone in phones)
    # And each text was asked about by its number, date and BizId, signed as Aliyun checks
    assert provider.refused == []
    assert sorted(q["BizId"] for q in provider.queries) == sorted(provider.biz_ids)
    assert {q["SendDate"] for q in provider.queries} == {"20260310"}
    # And the reports are recorded; the waiting one stays sent
    statuses = await _statuses(app)
    assert [statuses[str(m)] for m in sent] == [
        ("delivered", None),
        ("failed", "MOBILE_NOT_ON_SERVICE"),
        ("sent", None),
    ]
    # When the carrier reports the last one and the schedule runs again
    provider.reports[waiting] = (3, "DELIVERED")
    provider.queries.clear()
    await app.drain(schedule="pull_reports")
    # Then only the one still without a report is asked about, and it is delivered
    assert [q["BizId"] for q in provider.queries] == [waiting]
    assert (await _statuses(app))[str(sent[2])] == ("delivered", None)


async def test_a_text_whose_biz_id_died_with_its_worker_is_found_by_out_id(
    pulling: tuple[PluginApp, FakeAliyun],
) -> None:
    app, provider = pulling
    customer = await app.customer(name="韩梅梅", phone="13911113333")
    message_id = await _notify(app, customer["id"])
    # Given a worker that died after Aliyun accepted, so the log holds no BizId
    runtime = app._runtime
    with tenant_scope(app.tenant_id):
        async with runtime.sessions() as session:
            await session.begin()
            available = await channels_for(runtime.plugins, session)
            await sending.send(session, message_id, channels=available, now=app.clock())
            await session.rollback()
    await app.drain()
    assert (await _statuses(app))[str(message_id)] == ("sent", None)
    provider.reports = {provider.biz_ids[0]: (3, "DELIVERED")}
    # When the schedule pulls reports
    await app.drain(schedule="pull_reports")
    # Then it asked for the number's texts that day and matched the message by OutId
    [query] = provider.queries
    assert "BizId" not in query and query["PhoneNumber"] == "13911113333"
    assert (await _statuses(app))[str(message_id)] == ("delivered", None)


async def test_nothing_is_asked_when_pulling_is_off(pulling: tuple[PluginApp, FakeAliyun]) -> None:
    app, provider = pulling
    customer = await app.customer(name="李雷", phone="13911114444")
    await _notify(app, customer["id"])
    await app.drain()
    # Given the tenant receives Aliyun's push instead
    off = await app.client().patch(
        "/api/v1/plugins/sms", json={"settings": {"pull_reports": False}}
    )
    assert off.status_code == 200, off.text
    # When the schedule runs, then Aliyun is not asked
    await app.drain(schedule="pull_reports")
    assert provider.queries == []
