"""The adapter: one ``msgtype: text`` POST per staff notice; ``errcode`` decides the rest.

``errcode == 0`` is sent. The robot's rate limit (``45009``: 20 messages a minute per
robot) and the server's trouble (HTTP 5xx, a network error, ``-1`` system busy) are
retried by the worker with backoff; any other code (``93000`` an invalid key, ``40008``
a bad message type...) fails for good. Nothing here logs the key or the text.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from pitstop.sdk import ChannelFailed, Outbound, Receipt

from .settings import WecomSettings

RETRY_CODES = frozenset({-1, 45009})
MAX_BYTES = 2048
"""The robot's limit for a text message's content (UTF-8)."""


class WecomRobotChannel:
    name: str = "wecom"
    reaches: str = "wecom"
    capabilities: frozenset[str] = frozenset({"staff"})
    settings: type[msgspec.Struct] | None = WecomSettings
    broadcast: bool = True
    """The group reads every post: never a channel for one person's secret."""

    def __init__(self, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport

    async def send(self, message: Outbound) -> Receipt:
        settings = message.settings
        if not isinstance(settings, WecomSettings) or not settings.robot_key_secret:
            raise ChannelFailed("wecom: the robot key is not set")
        content = message.body.encode()[:MAX_BYTES].decode(errors="ignore")
        payload = {"msgtype": "text", "text": {"content": content}}
        status, answer = await self._post(settings, payload)
        code = answer.get("errcode")
        if status == 200 and code == 0:
            return Receipt(f"wecom:{message.message_id}")
        if status == 0 or status >= 500 or code in RETRY_CODES:
            raise ChannelFailed(f"wecom: answered {status} errcode {code}", retry=True)
        raise ChannelFailed(f"wecom: refused (errcode {code})", retry=False)

    async def _post(self, settings: WecomSettings, payload: dict[str, Any]) -> tuple[int, Any]:
        async with httpx.AsyncClient(
            timeout=settings.timeout_s, transport=self._transport
        ) as client:
            try:
                response = await client.post(
                    settings.endpoint, params={"key": settings.robot_key_secret}, json=payload
                )
            except httpx.HTTPError:
                return 0, {}
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return response.status_code, answer if isinstance(answer, dict) else {}
