"""WeCom customer messages (客户联系) against a local fake WeCom server that checks the
access token: the token fetched once and cached, errcodes mapped to retry or failure,
linked customers reached by WeCom and the rest by the tenant's other channel, the secret
and the external userid never shown, logged or audited."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import select

import pitstop_wecom
from pitstop.db.tenant_context import tenant_scope
from pitstop.sdk import ChannelFailed, Outbound
from pitstop.tenancy.models import TenantPlugin
from pitstop.testing import PluginApp, plugin_app
from pitstop_wecom.customers import WecomCustomerChannel
from pitstop_wecom.settings import WecomSettings
from pitstop_wecom.token import Tokens
from tests.plugins.wecom.fake_wecom import CORP_ID, SECRET, FakeWecom, fake_wecom
from tests.support.capture_channel import CaptureChannel, CapturePlugin

EXTERNAL = "wmEXT0001customer"
BODY = "王先生您好，您的爱车保养已到期，欢迎回店"


def _outbound(settings: WecomSettings, to: str = EXTERNAL) -> Outbound:
    return Outbound(message_id=uuid.uuid4(), tenant_id=uuid.uuid4(), purpose="service",
                    template="service_due", to=to, body=BODY, settings=settings)  # fmt: skip


async def _refused(channel: WecomCustomerChannel, settings: WecomSettings) -> ChannelFailed:
    with pytest.raises(ChannelFailed) as failed:
        await channel.send(_outbound(settings))
    text = str(failed.value)
    assert SECRET not in text and EXTERNAL not in text and "token-" not in text
    return failed.value


async def test_the_token_is_cached_and_codes_map_to_retry_or_failure() -> None:
    now = [0.0]
    channel = WecomCustomerChannel(tokens=Tokens(clock=lambda: now[0]))
    with fake_wecom() as fake:
        settings = WecomSettings(corp_id=CORP_ID, contact_secret=SECRET, api_base=fake.url,
                                 sender_userid="advisor01")  # fmt: skip
        # When two messages are sent, Then one token serves both, and each names the contact
        first = await channel.send(_outbound(settings))
        await channel.send(_outbound(settings))
        assert fake.tokens_issued == ["token-1"] and first.provider_id == "msg1"
        assert fake.sent[0] == {"chat_type": "single", "external_userid": [EXTERNAL],
                                "sender": "advisor01", "text": {"content": BODY}}  # fmt: skip
        # When WeCom revokes the token early, Then a fresh one is fetched and the send goes
        fake.revoked.add("token-1")
        await channel.send(_outbound(settings))
        assert fake.tokens_issued == ["token-1", "token-2"] and len(fake.sent) == 3
        # When the token nears its expiry (the clock moves), a new one is fetched first
        now[0] = 7_200.0 - 299
        await channel.send(_outbound(settings))
        assert len(fake.tokens_issued) == 3 and len(fake.sent) == 4
        # And the rate limit is retried; a lost contact, a refused one and a bad secret not
        fake.script = [{"errcode": 45009}, {"errcode": 84061},
                       {"errcode": 0, "fail_list": [EXTERNAL], "msgid": "m"}]  # fmt: skip
        assert (await _refused(channel, settings)).retry
        assert not (await _refused(channel, settings)).retry
        assert not (await _refused(channel, settings)).retry
        wrong = WecomSettings(corp_id=CORP_ID, contact_secret="wrong-secret", api_base=fake.url)
        assert not (await _refused(channel, wrong)).retry
        # And a promotion without a public address for its unsubscribe link is not sent
        promotion = dataclasses.replace(
            _outbound(settings), purpose="marketing", data={"unsubscribe_token": "t.k"}
        )
        with pytest.raises(ChannelFailed) as unlinkable:
            await channel.send(promotion)
        assert not unlinkable.value.retry and len(fake.sent) == 4


SETTINGS = {"corp_id": CORP_ID, "contact_secret": SECRET}


@pytest.fixture
async def wecom(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, FakeWecom]]:
    """WeCom as the tenant's only customer channel."""
    with fake_wecom() as fake:
        settings = SETTINGS | {"api_base": fake.url}
        async with plugin_app(pitstop_wecom, settings=settings, directory=tmp_path) as app:
            yield app, fake


@pytest.fixture
async def beside_texts(
    tmp_path: Path,
) -> AsyncIterator[tuple[PluginApp, FakeWecom, CaptureChannel]]:
    """WeCom beside another customer channel."""
    texts = CapturePlugin("texts")
    with fake_wecom() as fake:
        settings = SETTINGS | {"api_base": fake.url}
        async with plugin_app(pitstop_wecom, texts, settings=settings, directory=tmp_path) as app:
            yield app, fake, texts.channel


async def _stored_secret(app: PluginApp) -> str:
    async with app._runtime.sessions() as session:
        with tenant_scope(app.tenant_id):
            row = (
                await session.scalars(select(TenantPlugin).where(TenantPlugin.plugin == "wecom"))
            ).one()
            return str(row.settings["contact_secret"])


async def _notify(app: PluginApp, customer_id: str, purpose: str = "service") -> uuid.UUID:
    async with app.context("wecom") as ctx:
        return await ctx.notify(
            customer_id=uuid.UUID(customer_id), purpose=purpose, template="service_due",
            data={"store_name": "一号店", "due_date": "2026-03-21"},
        )  # fmt: skip


async def _log(app: PluginApp, customer_id: str) -> dict[str, tuple[str, str]]:
    got = await app.client().get("/api/v1/messages", params={"customer_id": customer_id})
    return {i["id"]: (i["channel"], i["status"]) for i in got.json()["items"]}


async def test_linked_customers_get_wecom_and_the_others_are_not_reached(
    wecom: tuple[PluginApp, FakeWecom],
) -> None:
    app, fake = wecom
    linked = await app.customer(name="王建国", phone="13911114444")
    plain = await app.customer(name="赵小红", phone="13911115555")
    # Given the secret set, Then neither the API nor the database shows it
    shown = (await app.client().get("/api/v1/plugins/wecom")).json()["settings"]
    assert shown["contact_secret"] == "********" and SECRET not in await _stored_secret(app)
    # When an advisor links one customer to their WeCom external contact
    path = f"/api/v1/wecom/contacts/{linked['id']}"
    answer = await app.client("service_advisor").put(path, json={"external_userid": EXTERNAL})
    # Then the link is kept, and the answer does not repeat the id
    assert answer.status_code == 200, answer.text
    assert answer.json()["linked"] and EXTERNAL not in answer.text
    # When both are sent a service reminder (logs captured)
    with structlog.testing.capture_logs() as logs:
        to_linked, to_plain = await _notify(app, linked["id"]), await _notify(app, plain["id"])
        queued = [(p.message.args, p.message.kwargs, p.message.options) for p in app.queued]
        await app.drain()
    # Then the linked customer's goes by WeCom to their contact; the other has no address
    # on the tenant's only customer channel (not a console entry claiming "delivered")
    assert (await _log(app, linked["id"]))[str(to_linked)] == ("wecom_customer", "sent")
    assert (await _log(app, plain["id"]))[str(to_plain)] == (
        "wecom_customer",
        "suppressed:no_address",
    )
    [sent] = fake.sent
    assert sent["external_userid"] == [EXTERNAL] and "王建国" in sent["text"]["content"]
    # And no broker message or log line names the contact, the name or the secret
    broker = json.dumps(queued, ensure_ascii=False, default=str)
    assert queued and EXTERNAL not in broker and "王建国" not in broker
    assert not [e for e in logs if any(s in str(e) for s in (EXTERNAL, "王建国", SECRET))]
    # And the audit log says who linked the customer, never to whom
    audit = await app.client().get("/api/v1/audit?action=wecom.contact_linked")
    assert len(audit.json()["items"]) == 1 and EXTERNAL not in audit.text


async def test_a_promotion_by_wecom_ends_with_its_unsubscribe_link(
    wecom: tuple[PluginApp, FakeWecom],
) -> None:
    app, fake = wecom
    customer = await app.customer(name="周杰", phone="13911118888")
    path = f"/api/v1/wecom/contacts/{customer['id']}"
    assert (await app.client().put(path, json={"external_userid": EXTERNAL})).status_code == 200
    consent = {"consents": [{"purpose": "marketing", "channel": "wecom", "granted": True,
                             "source": "front_desk"}]}  # fmt: skip
    await app.client().put(f"/api/v1/customers/{customer['id']}/consents", json=consent)
    base = {"settings": {"public_base_url": "https://crm.example.cn"}}
    assert (await app.client().patch("/api/v1/plugins/wecom", json=base)).status_code == 200
    # When a promotion goes to the opted-in, linked customer
    promotion = await _notify(app, customer["id"], purpose="marketing")
    await app.drain()
    assert (await _log(app, customer["id"]))[str(promotion)] == ("wecom_customer", "sent")
    # Then its text ends with the unsubscribe link
    content = fake.sent[-1]["text"]["content"]
    prefix = "\n退订：https://crm.example.cn/api/v1/unsubscribe/"
    assert prefix in content
    token = content.rsplit("/", 1)[1]
    # When the customer follows it, Then their marketing by WeCom is withdrawn
    assert (await app.http.post(f"/api/v1/unsubscribe/{token}")).status_code == 200
    consents = (await app.client().get(f"/api/v1/customers/{customer['id']}/consents")).json()
    assert [(c["channel"], c["granted"]) for c in consents["consents"]] == [("wecom", False)]
    # And the next promotion is not sent (no consent left for any channel of the tenant)
    again = await _notify(app, customer["id"], purpose="marketing")
    assert (await _log(app, customer["id"]))[str(again)][1] == "suppressed:no_consent"


async def test_consent_unlinking_and_erasure_decide_whether_wecom_is_used(
    beside_texts: tuple[PluginApp, FakeWecom, CaptureChannel],
) -> None:
    app, fake, texts = beside_texts
    plain = await app.customer(name="孙丽", phone="13911117777")
    customer = await app.customer(name="钱多多", phone="13911116666")
    path = f"/api/v1/wecom/contacts/{customer['id']}"
    assert (await app.client().put(path, json={"external_userid": EXTERNAL})).status_code == 200
    # Given marketing consent by SMS only
    consent = {"consents": [{"purpose": "marketing", "channel": "sms", "granted": True,
                             "source": "front_desk"}]}  # fmt: skip
    await app.client().put(f"/api/v1/customers/{customer['id']}/consents", json=consent)
    # When a promotion is queued, Then it goes by the other channel (no WeCom opt-in)
    promotion = await _notify(app, customer["id"], purpose="marketing")
    assert (await _log(app, customer["id"]))[str(promotion)] == ("texts", "queued")
    # And an unlinked customer's reminder goes by the other channel too
    other = await _notify(app, plain["id"])
    assert (await _log(app, plain["id"]))[str(other)] == ("texts", "queued")
    # When a reminder is queued by WeCom and the contact is unlinked before it is sent
    reminder = await _notify(app, customer["id"])
    assert (await app.client().delete(path)).status_code == 204
    await app.drain()
    # Then it is suppressed for want of an address, and WeCom got nothing; the other
    # channel sent the promotion and the unlinked customer's reminder
    assert len(texts.sent) == 2
    assert (await _log(app, customer["id"]))[str(reminder)] == (
        "wecom_customer",
        "suppressed:no_address",
    )
    assert fake.sent == []
    # And bad input names the field; a role without wecom:contacts may not link; an unknown
    # customer is a 404
    bad = await app.client().put(path, json={"external_userid": "no spaces allowed"})
    assert bad.status_code in (400, 422) and "external_userid" in bad.text
    body = {"external_userid": EXTERNAL}
    assert (await app.client("technician").put(path, json=body)).status_code == 403
    unknown = f"/api/v1/wecom/contacts/{uuid.uuid4()}"
    assert (await app.client().put(unknown, json=body)).status_code == 404
    # And an erased customer's link goes with them; the export carried it before
    assert (await app.client().put(path, json=body)).status_code == 200
    exported = await app.client().get(f"/api/v1/customers/{customer['id']}/export")
    assert exported.json()["plugins"]["wecom"]["external_userid"] == EXTERNAL
    erased = await app.client().post(
        f"/api/v1/customers/{customer['id']}/erase", json={"reason": "request"}
    )
    assert erased.status_code in (200, 204), erased.text
    exported = await app.client().get(f"/api/v1/customers/{customer['id']}/export")
    assert EXTERNAL not in exported.text
