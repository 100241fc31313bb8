"""The adapter: POST, sign, retry with backoff; map the answer to a receipt or a failure.

A 2xx is sent (the receipt is the gateway's ``id`` if it answers one, else the message
id); 408, 429 and 5xx and network errors are tried again with doubling waits, then handed
to the worker's own retries (``ChannelFailed(retry=True)``); any other 4xx fails for good.
Nothing here logs the address or the body.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec

from pitstop.sdk import ChannelFailed, Outbound, Receipt

from .settings import WebhookSettings
from .signing import HEADER, sign

RETRYABLE = frozenset({408, 425, 429})


class WebhookChannel:
    name: str = "webhook"
    reaches: str = "sms"
    capabilities: frozenset[str] = frozenset({"customer", "staff"})
    settings: type[msgspec.Struct] | None = WebhookSettings

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        now: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._sleep, self._now, self._transport = sleep, now, transport

    async def send(self, message: Outbound) -> Receipt:
        settings = message.settings
        if not isinstance(settings, WebhookSettings) or not settings.url or not settings.secret:
            raise ChannelFailed("webhook: url and secret are not set", retry=False)
        body = json.dumps(_payload(message), ensure_ascii=False, sort_keys=True).encode()
        async with httpx.AsyncClient(
            timeout=settings.timeout_s, transport=self._transport
        ) as client:
            for attempt in range(settings.attempts):
                if attempt:
                    await self._sleep(settings.backoff_ms * 2 ** (attempt - 1) / 1000)
                status, answer = await self._post(client, settings, message, body)
                if 200 <= status < 300:
                    return Receipt(str(answer.get("id") or message.message_id))
                if status and status < 500 and status not in RETRYABLE:
                    raise ChannelFailed(f"webhook: answered {status}", retry=False)
        raise ChannelFailed(f"webhook: no success in {settings.attempts} tries", retry=True)

    async def _post(
        self,
        client: httpx.AsyncClient,
        settings: WebhookSettings,
        message: Outbound,
        body: bytes,
    ) -> tuple[int, dict[str, Any]]:
        """The status (0 for a network error) and the JSON answer, if any."""
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(settings.secret, int(self._now()), body),
            "X-Pitstop-Message-Id": str(message.message_id),
        }
        try:
            response = await client.post(settings.url, content=body, headers=headers)
        except httpx.HTTPError:
            return 0, {}
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return response.status_code, answer if isinstance(answer, dict) else {}


def _payload(message: Outbound) -> dict[str, Any]:
    """``unsubscribe_token`` rides along on marketing: the gateway builds the link."""
    token = message.data.get("unsubscribe_token")
    return ({"unsubscribe_token": token} if token else {}) | {
        "message_id": str(message.message_id),
        "tenant_id": str(message.tenant_id),
        "purpose": message.purpose,
        "template": message.template,
        "to": message.to,
        "body": message.body,
    }
