"""The WeCom group robot against a local fake robot: what is posted, errcodes mapped to
retry or failure, the key never shown - and never a staff member's invite token."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import pitstop_wecom
from pitstop.sdk import ChannelFailed, Outbound
from pitstop.testing import plugin_app
from pitstop_wecom.channel import WecomRobotChannel
from pitstop_wecom.settings import WecomSettings
from tests.plugins.webhook.gateway import local_server

KEY = "robot-key-0001"


@contextmanager
def robot(*codes: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A fake group robot answering scripted ``errcode``s (0 once they run out)."""
    posts: list[dict[str, Any]] = []
    script = list(codes)

    def answer(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        posts.append(json.loads(body))
        return 200, {"errcode": script.pop(0) if script else 0, "errmsg": "scripted"}

    with local_server(answer, "/cgi-bin/webhook/send") as url:
        yield url, posts


def _outbound(url: str, key: str = KEY) -> Outbound:
    return Outbound(
        message_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        purpose="transactional",
        template="complaint_assigned",
        to=str(uuid.uuid4()),
        body="投诉 C-1024 已指派给您，请在30分钟内响应",
        settings=WecomSettings(robot_key_secret=key, endpoint=url),
    )


async def test_a_notice_is_posted_as_text_and_codes_map_to_retry_or_failure() -> None:
    with robot(0, 45009, 93000) as (url, posts):
        # When a notice is sent, Then the group gets it as text
        receipt = await WecomRobotChannel().send(_outbound(url))
        assert receipt.provider_id.startswith("wecom:")
        assert posts[0] == {"msgtype": "text", "text": {"content": _outbound(url).body}}
        # And the rate limit asks for a retry, an invalid key fails for good
        with pytest.raises(ChannelFailed) as limited:
            await WecomRobotChannel().send(_outbound(url))
        assert limited.value.retry
        with pytest.raises(ChannelFailed) as refused:
            await WecomRobotChannel().send(_outbound(url))
        assert not refused.value.retry and KEY not in str(refused.value)
        # And without a key nothing is posted
        with pytest.raises(ChannelFailed):
            await WecomRobotChannel().send(_outbound(url, key=""))
        assert len(posts) == 3


async def test_staff_notices_go_to_the_group_but_invites_never_do(tmp_path: Path) -> None:
    with robot() as (url, posts):
        settings = {"robot_key_secret": KEY, "endpoint": url}
        async with plugin_app(pitstop_wecom, settings=settings, directory=tmp_path) as app:
            # Given the key set, Then the API shows only that it is set
            shown = (await app.client().get("/api/v1/plugins/wecom")).json()["settings"]
            assert shown["robot_key_secret"] == "********"
            # When a plugin notifies a staff member
            staff = (await app.client().get("/api/v1/staff")).json()["items"][0]
            async with app.context("wecom") as ctx:
                await ctx.notify_staff(
                    uuid.UUID(staff["id"]), "staff_invite", {"tenant_name": "驰途", "token": "x"}
                )
            # And HQ invites a new hire
            body = {"email": "new@kit.example", "name": "周新人", "role": "technician",
                    "stores": [next(iter(app.stores.values()))]}  # fmt: skip
            hired = (await app.client().post("/api/v1/staff", json=body)).json()
            invited = (await app.client().post(f"/api/v1/staff/{hired['id']}/invite")).json()
            await app.drain()
            seen = [p["text"]["content"] for p in posts]
    # Then the notice reached the group
    assert len(seen) == 1 and "驰途" in seen[0]
    # But the invite token was shown to HQ, not posted to the group chat
    assert invited["sent_by"] is None and invited["token"]
    assert not any(invited["token"] in text for text in seen)
