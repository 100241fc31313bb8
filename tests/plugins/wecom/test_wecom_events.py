"""WeCom's customer-contact events relayed to Pitstop, sealed as WeCom seals them: a
customer who adds a staff member through their contact-me QR code is linked, one who
deletes them unlinked; a forged, foreign or malformed callback changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import pitstop_wecom
from pitstop.testing import PluginApp, plugin_app
from pitstop_wecom.events import state_for
from tests.plugins.wecom.fake_wecom import (
    AES_KEY,
    CORP_ID,
    SECRET,
    TOKEN,
    contact_event,
    sealed_callback,
)

EXTERNAL = "wmAddedByQrCode01"
EVENTS = "/api/v1/wecom/events"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[PluginApp]:
    settings = {"corp_id": CORP_ID, "contact_secret": SECRET,
                "callback_token_secret": TOKEN, "callback_aes_key_secret": AES_KEY}  # fmt: skip
    async with plugin_app(pitstop_wecom, settings=settings, directory=tmp_path) as app:
        yield app


async def _relay(app: PluginApp, xml: str, **sealing: str) -> tuple[int, str]:
    query, body = sealed_callback(xml, **sealing)
    query.pop("encrypted")
    answer = await app.client().post(EVENTS, params=query, content=body,
                                     headers={"Content-Type": "text/xml"})  # fmt: skip
    return answer.status_code, answer.json().get("outcome") or answer.text


async def _linked(app: PluginApp, customer_id: str) -> str | None:
    export = (await app.client().get(f"/api/v1/customers/{customer_id}/export")).json()
    return (export["plugins"].get("wecom") or {}).get("external_userid")


async def test_contact_events_link_and_unlink_and_forgeries_change_nothing(
    app: PluginApp,
) -> None:
    customer = await app.customer(name="冯小刚", phone="13911119999")
    state = state_for(uuid.UUID(customer["id"]))
    # Given WeCom checking the callback URL, Then the relay gets the echo to answer with
    query, _ = sealed_callback("8412903123")
    verify = {"echostr": query.pop("encrypted")} | query
    answer = await app.client().post(f"{EVENTS}/verify", json=verify)
    assert answer.status_code == 200 and answer.json() == {"echostr": "8412903123"}
    # When the customer adds a staff member through their QR code (state names them)
    added = contact_event("add_external_contact", EXTERNAL, state)
    assert await _relay(app, added) == (200, "linked")
    # Then the customer is linked to the new external contact
    assert len(state) <= 30 and await _linked(app, customer["id"]) == EXTERNAL
    # When the customer deletes the staff member, Then the link goes
    assert await _relay(app, contact_event("del_follow_user", EXTERNAL)) == (200, "unlinked")
    assert await _linked(app, customer["id"]) is None
    # And a callback signed with another Token, or sealed for another enterprise, is refused
    status, text = await _relay(app, added, token="not-the-token")
    assert status == 422 and "msg_signature" in text
    assert (await _relay(app, added, corp_id="wwAnotherCorp"))[0] == 422
    # And an unknown state, another event, or junk XML change nothing
    stranger = contact_event("add_external_contact", EXTERNAL, state_for(uuid.uuid4()))
    assert await _relay(app, stranger) == (200, "ignored")
    assert await _relay(app, "<xml><Event>subscribe</Event></xml>") == (200, "ignored")
    query, _ = sealed_callback(added)
    query.pop("encrypted")
    junk = await app.client().post(EVENTS, params=query, content=b"<xml><Encrypt>")
    assert junk.status_code == 422
    assert await _linked(app, customer["id"]) is None
    # And each event is audited without the external userid; a technician may not relay
    audit = await app.client().get("/api/v1/audit?action=wecom.event_received")
    assert len(audit.json()["items"]) == 4 and EXTERNAL not in audit.text
    refused = await app.client("technician").post(EVENTS, params=query, content=b"<xml/>")
    assert refused.status_code == 403
