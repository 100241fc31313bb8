"""The sms plugin on Tencent Cloud in the app: a notify sent through the fake provider,
Tencent's status callback recorded by ``sid`` (ids of other messages ignored), and a
worker dying mid-send leaving the message ``unconfirmed`` rather than texting twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import structlog

import pitstop_sms
from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging import sending
from pitstop.messaging.sending import MAX_ATTEMPTS
from pitstop.plugin_host.notify import channels_for
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.sms.fake_tencent import APP_ID, SECRET_ID, SECRET_KEY, FakeTencent, fake_tencent

TEMPLATE = {"id": "2001002", "params": ["customer_name", "store_name", "due_date"]}


@pytest.fixture
async def tencent(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, FakeTencent]]:
    with fake_tencent() as provider:
        settings = {
            "provider": "tencent",
            "access_key_id": SECRET_ID,
            "access_key_secret": SECRET_KEY,
            "sign_name": "驰途汽修",
            "tencent": {
                "sdk_app_id": APP_ID,
                "endpoint": provider.url,
                "templates": {"service_due": TEMPLATE},
            },
        }
        async with plugin_app(pitstop_sms, settings=settings, directory=tmp_path) as app:
            yield app, provider


async def _notify(app: PluginApp, customer_id: str, store: str = "一号店") -> uuid.UUID:
    async with app.context("sms") as ctx:
        return await ctx.notify(
            customer_id=uuid.UUID(customer_id),
            purpose="transactional",
            template="service_due",
            data={"store_name": store, "due_date": "2026-03-20"},
        )


async def _entry(app: PluginApp, message_id: uuid.UUID) -> dict[str, object]:
    log = await app.client().get("/api/v1/messages")
    return dict(next(e for e in log.json()["items"] if e["id"] == str(message_id)))


async def test_a_text_goes_and_its_status_callback_is_recorded(
    tencent: tuple[PluginApp, FakeTencent],
) -> None:
    app, provider = tencent
    customer = await app.customer(name="李雷", phone="13911112222")
    # Given a message sent through Tencent Cloud
    message_id = await _notify(app, customer["id"])
    await app.drain()
    [request] = provider.accepted
    assert request["TemplateParamSet"] == ["李雷", "一号店", "2026-03-20"]
    sent = await _entry(app, message_id)
    assert sent["status"] == "sent" and str(sent["receipt_id"]).startswith("2433:")
    # And the secret is not shown by the plugins API
    shown = (await app.client().get("/api/v1/plugins/sms")).json()["settings"]
    assert shown["access_key_secret"] == "********" and shown["provider"] == "tencent"
    # When Tencent calls back naming its sid, with a made-up sid and a console-style one
    report = {"sid": sent["receipt_id"], "report_status": "FAIL", "errmsg": "MK:0001",
              "mobile": "13911112222", "user_receive_time": "2026-03-02"}  # fmt: skip
    guessed = {**report, "sid": "2433:guessed"}
    other = {**report, "sid": f"console:{message_id}"}
    answer = await app.client().post("/api/v1/sms/receipts/tencent", json=[report, guessed, other])
    # Then only the real one is recorded, as the carrier's failure with its code
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"result": 0, "errmsg": "OK", "recorded": 1, "ignored": 2}
    failed = await _entry(app, message_id)
    assert failed["status"] == "failed"
    # And a role without sms:receipts may not post; a bad report names the field
    refused = await app.client("service_advisor").post(
        "/api/v1/sms/receipts/tencent", json=[report]
    )
    assert refused.status_code == 403
    bad = await app.client().post(
        "/api/v1/sms/receipts/tencent", json=[{**report, "report_status": "MAYBE"}]
    )
    assert bad.status_code in (400, 422) and "report_status" in bad.text


async def _die_mid_send(app: PluginApp, message_id: uuid.UUID) -> None:
    """A worker that claimed the try, had Tencent accept it, and died before recording it."""
    runtime = app._runtime
    with tenant_scope(app.tenant_id):
        async with runtime.sessions() as session, session.begin():
            available = await channels_for(runtime.plugins, session)
            step = await sending.prepare(session, message_id, channels=available, now=app.clock())
        assert isinstance(step, sending.Prepared) and step.claimed
        await sending.call(step)


async def test_a_worker_dying_mid_send_does_not_text_twice(
    tencent: tuple[PluginApp, FakeTencent],
) -> None:
    app, provider = tencent
    reported = await app.customer(name="韩梅梅", phone="13911113333")
    silent = await app.customer(name="王小二", phone="13911114444")
    # Given two texts whose workers died after Tencent accepted them; the carrier has
    # reported on the first, not yet on the second
    first = await _notify(app, reported["id"])
    await _die_mid_send(app, first)
    second = await _notify(app, silent["id"])
    await _die_mid_send(app, second)
    provider.reports = {f"{first}:1": "SUCCESS"}
    # When the broker redelivers them
    with structlog.testing.capture_logs() as logs:
        await app.drain()
    # Then Tencent saw each text once: the first is settled from its status report
    assert len(provider.accepted) == 2
    entry = await _entry(app, first)
    assert (entry["status"], entry["receipt_id"]) == ("delivered", provider.serials[0])
    # And the second, which Tencent cannot vouch for, was asked about a few times and is
    # left for staff to reconcile rather than resent
    assert (await _entry(app, second))["status"] == "unconfirmed"
    assert provider.pulls == 1 + MAX_ATTEMPTS
    # And no log line names a customer or a number
    text = json.dumps(logs, ensure_ascii=False, default=str)
    assert not any(s in text for s in ("韩梅梅", "王小二", "13911113333", "13911114444"))


async def test_reports_are_pulled_on_the_schedule_when_the_tenant_asks(
    tencent: tuple[PluginApp, FakeTencent],
) -> None:
    app, provider = tencent
    phones = ("13911110011", "13911110012", "13911110013")
    customers = [await app.customer(name=f"客户{n}", phone=p) for n, p in enumerate(phones)]
    sent = [await _notify(app, c["id"]) for c in customers]
    await app.drain()
    # Given Tencent has one text delivered, one failed and one without a report yet
    contexts = [request["SessionContext"] for request in provider.accepted]
    provider.reports = {contexts[0]: "SUCCESS", contexts[1]: "FAIL"}
    # When the schedule runs with pulling off, Then Tencent is not asked
    await app.drain(schedule="pull_reports")
    assert provider.pulls == 0
    # When the tenant turns pulling on and the schedule runs
    on = await app.client().patch("/api/v1/plugins/sms", json={"settings": {"pull_reports": True}})
    assert on.status_code == 200, on.text
    with structlog.testing.capture_logs() as logs:
        await app.drain(schedule="pull_reports")
    # Then each number was asked once, signed as Tencent checks, and no log names a number
    assert provider.pulls == 3 and provider.refused == []
    assert not any(phone in json.dumps(logs, default=str) for phone in phones)
    # And the reports are recorded by receipt; the one without a report stays sent
    assert [(await _entry(app, m))["status"] for m in sent] == ["delivered", "failed", "sent"]
    # When its report comes and the schedule runs again, Then only its number is asked
    provider.reports[contexts[2]] = "SUCCESS"
    await app.drain(schedule="pull_reports")
    assert provider.pulls == 4 and (await _entry(app, sent[2]))["status"] == "delivered"
