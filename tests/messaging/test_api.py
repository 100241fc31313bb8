"""The messaging API: consents with history, templates and preview, the contact log, manual
contacts, masking by role - and no personal data in broker messages, events or logs."""

from __future__ import annotations

import json
import uuid

import structlog

from pitstop.testing import PluginApp
from tests.messaging.conftest import consent, log, notify


async def test_consents_keep_the_current_answer_and_every_change(app: PluginApp) -> None:
    # Given a customer who opts in to marketing by SMS, then withdraws, and allows WeCom
    customer = await app.customer()
    await consent(app, customer["id"], "marketing", True)
    await consent(app, customer["id"], "marketing", False)
    body = await consent(app, customer["id"], "service", True, channel="wecom")
    # Then the current answers are one per purpose and medium, the history all three
    current = {(c["purpose"], c["channel"]): c["granted"] for c in body["consents"]}
    assert current == {("marketing", "sms"): False, ("service", "wecom"): True}
    assert [(h["purpose"], h["granted"]) for h in body["history"]] == [
        ("marketing", True),
        ("marketing", False),
        ("service", True),
    ]
    assert all(h["source"] == "front_desk" and h["notice_version"] == "1" for h in body["history"])
    # And a GET says the same
    again = await app.client("technician").get(f"/api/v1/customers/{customer['id']}/consents")
    assert again.json() == body


async def test_consent_changes_are_audited_and_a_repeat_changes_nothing(app: PluginApp) -> None:
    # Given a customer who opts in twice with the same answer
    customer = await app.customer()
    await consent(app, customer["id"], "marketing", True)
    body = await consent(app, customer["id"], "marketing", True)
    # Then history and audit hold one change, naming the customer and no personal value
    assert len(body["history"]) == 1
    audit = (
        await app.client().get("/api/v1/audit", params={"action": "customer.consent_changed"})
    ).json()
    entries = [e for e in audit["items"] if e["resource_id"] == customer["id"]]
    assert len(entries) == 1
    assert entries[0]["detail"]["changes"] == [
        {
            "purpose": "marketing",
            "channel": "sms",
            "granted": True,
            "source": "front_desk",
            "notice_version": "1",
        }
    ]
    assert customer["name"] not in json.dumps(entries[0])


async def test_bad_consent_bodies_are_422s_naming_the_field(app: PluginApp) -> None:
    customer = await app.customer()
    url = f"/api/v1/customers/{customer['id']}/consents"
    client = app.client()
    for body, field in [
        (
            {
                "consents": [
                    {"purpose": "spam", "channel": "sms", "granted": True, "source": "front_desk"}
                ]
            },
            "purpose",
        ),
        (
            {
                "consents": [
                    {
                        "purpose": "service",
                        "channel": "SMS!",
                        "granted": True,
                        "source": "front_desk",
                    }
                ]
            },
            "channel",
        ),
        ({"consents": []}, "consents"),
    ]:
        response = await client.put(url, json=body)
        assert response.status_code in (400, 422), response.text
        assert field in response.text
    # And a technician may read but not change consent
    read_only = await app.client("technician").put(
        url,
        json={
            "consents": [
                {"purpose": "service", "channel": "sms", "granted": True, "source": "front_desk"}
            ]
        },
    )
    assert read_only.status_code == 403
    # And an unknown customer is a 404
    missing = await client.get(f"/api/v1/customers/{uuid.uuid4()}/consents")
    assert missing.status_code == 404


async def test_templates_are_validated_at_save_and_previewed(app: PluginApp) -> None:
    client = app.client("marketing")
    # Given the shipped defaults
    names = {t["name"] for t in (await client.get("/api/v1/message-templates")).json()}
    assert {"service_due", "points_expiring", "staff_invite"} <= names
    # When a body names a field it does not declare, Then 422 naming body
    bad = await client.put(
        "/api/v1/message-templates/spring_sale",
        json={
            "purpose": "marketing",
            "fields": ["discount"],
            "body": "{customer_name}春季{discount}折",
        },
    )
    assert bad.status_code == 422 and "body" in bad.text and "customer_name" in bad.text
    # When a marketing template declares a personal field, Then 422 naming fields
    personal = await client.put(
        "/api/v1/message-templates/spring_sale",
        json={"purpose": "marketing", "fields": ["phone"], "body": "致{phone}"},
    )
    assert personal.status_code == 422 and "fields" in personal.text
    # When a valid one is saved, Then the preview renders it with sample data
    saved = await client.put(
        "/api/v1/message-templates/spring_sale",
        json={
            "purpose": "marketing",
            "fields": ["discount", "store_name"],
            "body": "春季保养{discount}折，{store_name}欢迎您",
        },
    )
    assert saved.status_code == 200, saved.text
    preview = await client.post(
        "/api/v1/message-templates/spring_sale/preview", json={"data": {"discount": 8}}
    )
    assert preview.json()["body"] == "春季保养8折，[store_name]欢迎您"
    # And a store's service advisor may preview but not word templates
    advisor = app.client("service_advisor")
    assert (
        await advisor.put(
            "/api/v1/message-templates/spring_sale",
            json={"purpose": "marketing", "fields": [], "body": "x"},
        )
    ).status_code == 403
    assert (await client.post("/api/v1/message-templates/nope/preview", json={})).status_code == 404


async def test_a_tenant_wording_is_what_the_worker_sends(app: PluginApp) -> None:
    # Given the tenant rewords points_expiring
    await app.client().put(
        "/api/v1/message-templates/points_expiring",
        json={"purpose": "service", "fields": ["points"], "body": "积分{points}即将到期"},
    )
    preview = await app.client().post(
        "/api/v1/message-templates/points_expiring/preview", json={"data": {"points": 5}}
    )
    # Then the preview (and the worker's render, which reads the same row) use it
    assert preview.json()["body"] == "积分5即将到期"


async def test_manual_contacts_are_logged_and_notes_masked_by_role(app: PluginApp) -> None:
    # Given a call logged by a service advisor at their store, with a phone number in the note
    customer = await app.customer()
    advisor = app.client("service_advisor")
    store = app.stores[next(iter(app.stores))]
    response = await advisor.post(
        "/api/v1/messages/manual",
        json={
            "customer_id": customer["id"],
            "channel": "phone",
            "outcome": "callback",
            "note": "请回电 13912345678",
            "store_id": store,
        },
    )
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["manual"]) == ("sent", True)
    # Then HQ sees it in the log, the note's phone masked for a role that sees phones masked
    [entry] = await log(app, customer_id=customer["id"])
    analyst = (
        await app.client("hq_analyst").get(
            "/api/v1/messages", params={"customer_id": customer["id"]}
        )
    ).json()["items"][0]
    assert "13912345678" not in analyst["note"]
    assert entry["outcome"] == "callback"
    # And a store-scoped role must say which of its stores
    no_store = await advisor.post(
        "/api/v1/messages/manual",
        json={"customer_id": customer["id"], "channel": "phone", "outcome": "reached"},
    )
    assert no_store.status_code == 422 and "store_id" in no_store.text


async def test_log_filters_by_status_and_purpose_and_pages(app: PluginApp) -> None:
    # Given one sent reminder and one suppressed promotion
    customer = await app.customer()
    who = uuid.UUID(customer["id"])
    await notify(app, customer_id=who)
    await notify(app, customer_id=who, purpose="marketing")
    await app.drain()
    # Then each filter finds its own
    assert [m["purpose"] for m in await log(app, status="suppressed:no_consent")] == ["marketing"]
    assert [m["status"] for m in await log(app, purpose="service")] == ["delivered"]
    first = (await app.client().get("/api/v1/messages", params={"limit": 1})).json()
    second = (
        await app.client().get("/api/v1/messages", params={"limit": 1, "after": first["next"]})
    ).json()
    assert first["items"][0]["id"] != second["items"][0]["id"]


async def test_no_personal_data_in_broker_messages_events_or_logs(app: PluginApp) -> None:
    # Given a customer with a distinctive name and phone, and a consent to marketing
    name, phone = "欧阳明远", "13987654321"
    customer = await app.customer(name=name, phone=phone)
    await consent(app, customer["id"], "marketing", True)
    # When a reminder (which renders the name) is queued and sent, and a promotion is too
    with structlog.testing.capture_logs() as logs:
        await notify(
            app,
            customer_id=uuid.UUID(customer["id"]),
            template="service_due",
            data={"store_name": "一号店", "due_date": "2026-03-20"},
        )
        await notify(app, customer_id=uuid.UUID(customer["id"]), purpose="marketing")
        queued = list(app.queued)
        await app.drain()
    # Then the broker carried the message's id only, and no log line or event names them
    broker = json.dumps(
        [(p.message.args, p.message.kwargs, p.message.options) for p in queued], ensure_ascii=False
    )
    assert name not in broker and phone not in broker
    sends = [p.message.args for p in queued if p.actor == "pitstop.send_message"]
    assert len(sends) == 2 and all(len(a) == 1 and uuid.UUID(a[0]) for a in sends)
    rendered = f"{name}您好"
    text = json.dumps(logs, ensure_ascii=False, default=str)
    assert name not in text and phone not in text and rendered not in text
    for kind in ("customer.created", "customer.updated"):
        assert all(name not in json.dumps(e, ensure_ascii=False) for e in await app.events(kind))
    assert {m["status"] for m in await log(app, customer_id=customer["id"])} == {"delivered"}
