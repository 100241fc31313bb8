"""The ``wecom_customer`` channel: customer messages to WeCom external contacts (客户联系).

A customer linked to an external contact (:mod:`pitstop_wecom.contacts`) is messaged
through the server API: an access token from ``gettoken`` (corp id + the customer-contact
secret, cached: :mod:`pitstop_wecom.token`), then one ``externalcontact/add_msg_template``
with ``chat_type: single`` naming the contact. WeCom hands it to the staff member's client,
which sends it to the customer's WeChat; the answer's ``msgid`` is the receipt.

The channel has its own address for a customer (SDK 1.5 ``address``): the host chooses it
only for linked customers whose consent allows WeCom; everyone else keeps the tenant's
other channel (SMS). ``errcode`` decides the rest: a stale token is fetched again once,
WeCom's busy and rate-limit codes are retried by the worker, a contact WeCom refuses (in
``fail_list``, or not a contact of the enterprise any more) and any other code fail for
good. Nothing here logs the external userid, the token, the secret or the text.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec
from sqlalchemy import select

from pitstop.sdk import ChannelFailed, Outbound, PluginContext, Receipt

from .models import WecomContact
from .settings import WecomSettings
from .token import EXPIRED_CODES, Tokens

RETRY_CODES = frozenset({-1, 45009, 45033})
"""System busy, API rate limit, too many concurrent calls."""
MAX_BYTES = 4000
"""WeCom's limit for a text's content (UTF-8)."""
TOKENS = Tokens()


class WecomCustomerChannel:
    name: str = "wecom_customer"
    reaches: str = "wecom"
    capabilities: frozenset[str] = frozenset({"customer"})
    settings: type[msgspec.Struct] | None = WecomSettings
    broadcast: bool = False

    def __init__(
        self, *, transport: httpx.AsyncBaseTransport | None = None, tokens: Tokens = TOKENS
    ) -> None:
        self._transport = transport
        self._tokens = tokens

    def configured(self, settings: object) -> bool:
        """Customer messages are on for the tenant: the corporate app is set up."""
        return isinstance(settings, WecomSettings) and settings.reaches_customers

    async def address(self, ctx: PluginContext, customer_id: uuid.UUID) -> str | None:
        """The customer's external userid, where the corporate app is configured."""
        settings = ctx.settings
        if not isinstance(settings, WecomSettings) or not settings.reaches_customers:
            return None
        statement = select(WecomContact.external_userid).where(
            WecomContact.customer_id == customer_id
        )
        return (await ctx.session.scalars(statement)).first()

    async def send(self, message: Outbound) -> Receipt:
        settings = message.settings
        if not isinstance(settings, WecomSettings) or not settings.reaches_customers:
            raise ChannelFailed("wecom: the corporate app is not configured")
        payload: dict[str, Any] = {
            "chat_type": "single",
            "external_userid": [message.to],
            "text": {"content": _content(message, settings)},
        }
        if settings.sender_userid:
            payload["sender"] = settings.sender_userid
        async with httpx.AsyncClient(
            timeout=settings.timeout_s, transport=self._transport
        ) as client:
            status, answer = await self._post(client, settings, payload)
            if answer.get("errcode") in EXPIRED_CODES:  # revoked early: one fresh token
                self._tokens.forget(settings)
                status, answer = await self._post(client, settings, payload)
        return _receipt(message, status, answer)

    async def _post(
        self, client: httpx.AsyncClient, settings: WecomSettings, payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        token = await self._tokens.get(client, settings)
        url = f"{settings.api_base}/cgi-bin/externalcontact/add_msg_template"
        try:
            response = await client.post(url, params={"access_token": token}, json=payload)
            answer = response.json()
        except (httpx.HTTPError, ValueError):
            return 0, {}
        return response.status_code, answer if isinstance(answer, dict) else {}


def _content(message: Outbound, settings: WecomSettings) -> str:
    """The text, cut to WeCom's limit; a promotion ends with its unsubscribe link (kept
    whole), and without a public address to link to it is not sent at all."""
    link = ""
    token = message.data.get("unsubscribe_token")
    if message.purpose == "marketing":
        if not (token and settings.public_base_url):
            raise ChannelFailed("wecom: a promotion needs public_base_url for its unsubscribe link")
        base = settings.public_base_url.rstrip("/")
        link = f"\n退订：{base}/api/v1/unsubscribe/{token}"
    room = MAX_BYTES - len(link.encode())
    return message.body.encode()[:room].decode(errors="ignore") + link


def _receipt(message: Outbound, status: int, answer: dict[str, Any]) -> Receipt:
    code = answer.get("errcode")
    if status == 200 and code == 0:
        if message.to in (answer.get("fail_list") or []):
            raise ChannelFailed("wecom: the contact cannot be messaged (fail_list)", retry=False)
        return Receipt(str(answer.get("msgid") or f"wecom:{message.message_id}"))
    if status == 0 or status >= 500 or code in RETRY_CODES or code in EXPIRED_CODES:
        raise ChannelFailed(f"wecom: answered {status} errcode {code}", retry=True)
    raise ChannelFailed(f"wecom: refused (errcode {code})", retry=False)
