"""The adapter: one signed ``SendSms`` call per message; the answer's code decides the rest.

The tenant's ``provider`` setting picks Aliyun (this module) or Tencent Cloud
(:mod:`pitstop_sms.tencent`); what follows is Aliyun's.

``Code == "OK"`` is sent, the receipt is the provider's ``BizId`` (delivery reports name
it). Throttling and the provider's own trouble (HTTP 5xx, a network error) are retried by
the worker with backoff; a bad number, template, sign name or key fails for good - trying
again would only spend the tenant's quota. The carrier's delivery report arrives later
(``POST /api/v1/sms/receipts``).

**Idempotency.** ``SignatureNonce`` is Aliyun's replay guard: a nonce it has seen in the
last 15 minutes is refused with ``SignatureNonceUsed`` and nothing is sent. The nonce is
derived from ``(message id, attempt)``, and a worker killed after the provider accepted
but before its commit hands the redelivered copy the same attempt number: the repeat is
refused, and the message is recorded ``sent`` (receipt ``aliyun:unconfirmed:<nonce>``)
instead of texting the customer twice. A real retry after a failure has the next attempt
number, so a new nonce.

Nothing here logs or raises with the phone number, the name or the template's fields.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
import msgspec

from pitstop.sdk import ChannelFailed, Outbound, Receipt

from .settings import SmsSettings
from .signing import sign
from .tencent import TencentSms

RETRY_CODES = frozenset(
    {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling", "ServiceUnavailable",
     "InternalError", "isp.SYSTEM_ERROR"}
)  # fmt: skip
"""Codes that may pass: flow control (per-number and per-account limits) and the
provider's own faults. Any other code (``isv.MOBILE_NUMBER_ILLEGAL``,
``isv.SMS_TEMPLATE_ILLEGAL``, ``isv.SMS_SIGNATURE_ILLEGAL``, ``isv.AMOUNT_NOT_ENOUGH``,
``SignatureDoesNotMatch``, ``InvalidAccessKeyId.NotFound``...) fails the message."""
REPEAT_CODE = "SignatureNonceUsed"
NONCE_NAMESPACE = uuid.UUID("6f1c3c5e-2b7a-4c39-9d1e-51a1f0c2d7e4")


def nonce_for(message_id: uuid.UUID, attempt: int) -> str:
    return str(uuid.uuid5(NONCE_NAMESPACE, f"{message_id}:{attempt}"))


class SmsChannel:
    name: str = "sms"
    reaches: str = "sms"
    capabilities: frozenset[str] = frozenset({"customer"})
    """Staff are addressed by membership id, not a phone: their notices go elsewhere."""
    settings: type[msgspec.Struct] | None = SmsSettings

    def __init__(self, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._tencent = TencentSms(transport=transport)

    def idempotent(self, settings: object) -> bool:
        """Aliyun refuses a repeated ``SignatureNonce``: no send-claim needed. Tencent has
        no such key: each try is claimed before it is sent."""
        return not isinstance(settings, SmsSettings) or settings.provider == "aliyun"

    async def status(self, message: Outbound) -> Receipt | None:
        """An interrupted try, asked about (Tencent's tries only: Aliyun's are idempotent,
        so the worker never asks)."""
        settings = message.settings
        if isinstance(settings, SmsSettings) and settings.provider == "tencent":
            return await self._tencent.status(settings, message)
        raise ChannelFailed("sms: this provider cannot be asked about a try", retry=False)

    async def send(self, message: Outbound) -> Receipt:
        settings = message.settings
        if isinstance(settings, SmsSettings) and settings.provider == "tencent":
            return await self._tencent.send(settings, message)
        if not isinstance(settings, SmsSettings) or not _ready(settings):
            raise ChannelFailed("sms: access key, secret and sign name are not set")
        code = settings.templates.get(message.template or "")
        if code is None:
            raise ChannelFailed(f"sms: no template code for {message.template}")
        nonce = nonce_for(message.message_id, message.attempt)
        params = _params(settings, message, code, nonce)
        params["Signature"] = sign("POST", params, settings.access_key_secret)
        status, answer = await self._post(settings, params)
        result = str(answer.get("Code", ""))
        if status == 200 and result == "OK":
            return Receipt(str(answer.get("BizId") or nonce))
        if result == REPEAT_CODE:
            return Receipt(f"aliyun:unconfirmed:{nonce}")
        if status == 0 or status >= 500 or result in RETRY_CODES:
            raise ChannelFailed(f"sms: provider answered {status} {result}", retry=True)
        raise ChannelFailed(f"sms: provider refused ({result or status})", retry=False)

    async def _post(self, settings: SmsSettings, params: dict[str, str]) -> tuple[int, Any]:
        """The HTTP status (0 for a network error) and the JSON answer (``{}`` if none)."""
        async with httpx.AsyncClient(
            timeout=settings.timeout_s, transport=self._transport
        ) as client:
            try:
                response = await client.post(settings.endpoint, data=params)
            except httpx.HTTPError:
                return 0, {}
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return response.status_code, answer if isinstance(answer, dict) else {}


def provider_number(phone: str) -> str:
    """Aliyun's spelling: a mainland number bare (``13800138000``), any other with ``00``
    and its country code (``00852...``)."""
    if phone.startswith("+86"):
        return phone[3:]
    return "00" + phone[1:] if phone.startswith("+") else phone


def _ready(settings: SmsSettings) -> bool:
    return bool(settings.access_key_id and settings.access_key_secret and settings.sign_name)


def _params(settings: SmsSettings, message: Outbound, code: str, nonce: str) -> dict[str, str]:
    fields = {"customer_name": message.recipient_name, **message.data}
    return {
        "AccessKeyId": settings.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": str(message.message_id),
        "PhoneNumbers": provider_number(message.to),
        "RegionId": settings.region_id,
        "SignName": settings.sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": code,
        "TemplateParam": json.dumps(
            {k: str(v) for k, v in fields.items()}, ensure_ascii=False, sort_keys=True
        ),
        "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
