"""Invites and password resets through the tenant's staff channel: the token reaches the
person, not the API response, and is sealed in the contact log; without a staff channel
the API shows it as before (the demo's console)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging.models import Message
from pitstop.sdk import Outbound, PluginInfo, Receipt, hookimpl
from pitstop.testing import PluginApp, plugin_app
from pitstop.testing.tenant import SLUG
from tests.messaging import notifier


class StaffPager:
    name, reaches = "pager", "app"
    capabilities = frozenset({"staff"})
    settings = None

    def __init__(self) -> None:
        self.sent: list[Outbound] = []

    async def send(self, message: Outbound) -> Receipt:
        self.sent.append(message)
        return Receipt(f"pager:{message.message_id}", delivered=True)


class PagerPlugin:
    def __init__(self) -> None:
        self.channel = StaffPager()

    @hookimpl
    def plugin_info(self) -> PluginInfo:
        return PluginInfo(name="pager", version="0.1.0", title="Pager", sdk=">=1.2,<2")

    @hookimpl
    def channels(self) -> list[Any]:
        return [self.channel]


@pytest.fixture
async def paged(tmp_path: Path) -> AsyncIterator[tuple[PluginApp, StaffPager]]:
    pager = PagerPlugin()
    async with plugin_app(notifier, pager, directory=tmp_path) as app:
        yield app, pager.channel


async def _hire(app: PluginApp) -> str:
    body = {"email": "new.hire@kit.example", "name": "周新人", "role": "technician",
            "stores": [next(iter(app.stores.values()))]}  # fmt: skip
    hired = await app.client().post("/api/v1/staff", json=body)
    assert hired.status_code == 201, hired.text
    return str(hired.json()["id"])


async def test_an_invite_goes_to_the_person_and_not_into_the_response(
    paged: tuple[PluginApp, StaffPager],
) -> None:
    app, pager = paged
    staff_id = await _hire(app)
    # When HQ invites the new hire while a staff channel is on
    invited = await app.client().post(f"/api/v1/staff/{staff_id}/invite")
    # Then the response holds no token and names the channel
    assert invited.status_code == 201, invited.text
    answer = invited.json()
    assert answer["token"] is None and answer["sent_by"] == "pager"
    assert answer["purpose"] == "set_password"
    # And the worker hands the channel the token in the rendered invite
    await app.drain()
    [notice] = pager.sent
    token = notice.data["token"]
    assert token in notice.body and notice.to == staff_id
    # And the contact log's row holds it sealed, never in clear
    async with app._runtime.sessions() as session:
        with tenant_scope(app.tenant_id):
            row = (
                await session.scalars(select(Message).where(Message.staff_id.is_not(None)))
            ).one()
    assert token not in str(row.data) and str(row.data["token"]).startswith("sealed:")
    # And the person sets their password with it
    body = {"tenant": SLUG, "token": token, "password": "Correct-Horse-42!"}
    assert (await app.http.post("/api/v1/auth/set-password", json=body)).status_code == 204


async def test_without_a_staff_channel_the_token_is_shown_as_before(tmp_path: Path) -> None:
    async with plugin_app(notifier, directory=tmp_path) as app:
        staff_id = await _hire(app)
        answer = (await app.client().post(f"/api/v1/staff/{staff_id}/invite")).json()
        assert answer["token"] and answer["sent_by"] is None
