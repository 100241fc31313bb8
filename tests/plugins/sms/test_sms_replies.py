"""Unsubscribing by SMS on both providers we ship: the link in a promotion (its token rides
in the approved template's fields through the fake provider) and a "TD" reply pushed by
the provider's own reply callback each withdraw marketing by SMS, and nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

import pitstop_sms
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.sms import fake_aliyun, fake_tencent

SIGN = "驰途汽修"
TENCENT_TEMPLATE = {"id": "2001009", "params": ["store_name", "unsubscribe_token"]}


def _aliyun(url: str) -> dict[str, Any]:
    return {"access_key_id": fake_aliyun.KEY_ID, "access_key_secret": fake_aliyun.KEY_SECRET,
            "sign_name": SIGN, "templates": {"service_due": "SMS_460100009"},
            "endpoint": url}  # fmt: skip


def _tencent(url: str) -> dict[str, Any]:
    return {"provider": "tencent", "access_key_id": fake_tencent.SECRET_ID,
            "access_key_secret": fake_tencent.SECRET_KEY, "sign_name": SIGN,
            "tencent": {"sdk_app_id": fake_tencent.APP_ID, "endpoint": url,
                        "templates": {"service_due": TENCENT_TEMPLATE}}}  # fmt: skip


def _token_sent(provider: str, request: dict[str, Any]) -> str:
    """The unsubscribe token as the provider received it in the template's fields."""
    if provider == "aliyun":
        return str(json.loads(request["TemplateParam"])["unsubscribe_token"])
    return str(request["TemplateParamSet"][1])


def _reply(provider: str, phone: str, text: str, sign: str = SIGN) -> tuple[str, Any]:
    """The provider's own reply push: Aliyun's SmsUp batch, Tencent's callback object."""
    if provider == "aliyun":
        return "/api/v1/sms/replies", [{"phone_number": phone, "content": text,
                                        "sign_name": sign, "dest_code": "01",
                                        "send_time": "2026-03-02 10:00:00"}]  # fmt: skip
    return "/api/v1/sms/replies/tencent", {"mobile": phone, "nationcode": "86", "text": text,
                                           "sign": sign, "time": 1772416800}  # fmt: skip


Fake = Callable[[], AbstractContextManager[Any]]
PROVIDERS: dict[str, tuple[Fake, Callable[[str], dict[str, Any]]]] = {
    "aliyun": (fake_aliyun.fake_aliyun, _aliyun),
    "tencent": (fake_tencent.fake_tencent, _tencent),
}


@pytest.fixture(params=sorted(PROVIDERS))
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    fake, settings = PROVIDERS[request.param]
    with fake() as provider:
        async with plugin_app(pitstop_sms, settings=settings(provider.url),
                              directory=tmp_path) as app:  # fmt: skip
            yield request.param, app, provider


async def _opted_in(app: PluginApp, phone: str) -> str:
    customer = await app.customer(name="孙悟空", phone=phone)
    consent = {"consents": [{"purpose": "marketing", "channel": c, "granted": True,
                             "source": "front_desk"} for c in ("sms", "wecom")]}  # fmt: skip
    answer = await app.client().put(f"/api/v1/customers/{customer['id']}/consents", json=consent)
    assert answer.status_code == 200, answer.text
    return str(customer["id"])


async def _marketing(app: PluginApp, customer_id: str) -> dict[str, bool]:
    consents = await app.client().get(f"/api/v1/customers/{customer_id}/consents")
    body = consents.json()
    return {c["channel"]: c["granted"] for c in body["consents"] if c["purpose"] == "marketing"}


async def _promote(app: PluginApp, customer_id: str) -> None:
    async with app.context("sms") as ctx:
        await ctx.notify(customer_id=uuid.UUID(customer_id), purpose="marketing",
                         template="service_due",
                         data={"store_name": "一号店", "due_date": "2026-03-20"})  # fmt: skip


async def test_a_link_or_a_td_reply_by_the_providers_callback_withdraws_sms_marketing(
    shop: tuple[str, PluginApp, Any],
) -> None:
    provider, app, fake = shop
    clicked, replied = await _opted_in(app, "13911117001"), await _opted_in(app, "13911117002")
    # Given a promotion texted through the provider, its link token in the template's fields
    await _promote(app, clicked)
    await app.drain()
    token = _token_sent(provider, fake.accepted[-1])
    # When the customer presses the link's button, Then marketing by SMS is withdrawn
    assert (await app.http.post(f"/api/v1/unsubscribe/{token}")).status_code == 200
    assert await _marketing(app, clicked) == {"sms": False, "wecom": True}
    # When another replies "TD" through the provider's reply callback
    path, body = _reply(provider, "13911117002", " td ")
    answer = await app.client().post(path, json=body)
    # Then their marketing by SMS is withdrawn too, from the reply; WeCom is left alone
    assert answer.status_code == 200, answer.text
    assert (answer.json()["unsubscribed"], answer.json()["ignored"]) == (1, 0)
    assert await _marketing(app, replied) == {"sms": False, "wecom": True}
    history = (await app.client().get(f"/api/v1/customers/{replied}/consents")).json()
    assert history["history"][-1]["source"] == "sms_reply"
    # And the call is audited with counts only
    audit = await app.client().get("/api/v1/audit?action=sms.replies_recorded")
    assert "13911117002" not in audit.text and len(audit.json()["items"]) == 1


async def test_replies_that_are_not_the_tenants_or_no_keyword_change_nothing(
    shop: tuple[str, PluginApp, Any],
) -> None:
    provider, app, _ = shop
    customer = await _opted_in(app, "13911117003")
    # When a thank-you, a "TD" to another business's sign name and a bad number come in
    for text, sign, phone, ignored in (("谢谢", SIGN, "13911117003", 0),
                                       ("TD", "别家车行", "13911117003", 1),
                                       ("TD", SIGN, "12345", 1)):  # fmt: skip
        path, body = _reply(provider, phone, text, sign)
        answer = await app.client().post(path, json=body)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["unsubscribed"], answer.json()["ignored"]) == (0, ignored)
    # Then the customer's consent stands
    assert await _marketing(app, customer) == {"sms": True, "wecom": True}
    # And a role without sms:receipts may not post replies; a body without text names it
    path, body = _reply(provider, "13911117003", "TD")
    assert (await app.client("service_advisor").post(path, json=body)).status_code == 403
    aliyun = provider == "aliyun"
    broken = [{"phone_number": "13911117003"}] if aliyun else {"mobile": "139", "nationcode": "86"}
    bad = await app.client().post(path, json=broken)
    assert bad.status_code in (400, 422) and ("content" if aliyun else "text") in bad.text
