"""Tencent Cloud SMS (API 3.0, ``SendSms`` version 2021-01-11): one signed JSON POST per text.

The template's variables are positional (``{1}``, ``{2}``...), so the tenant's settings
list which Pitstop field fills each; ``SessionContext`` carries ``<message id>:<attempt>``
(Tencent hands it back, never a phone number in it). The answer's ``SendStatusSet[0].Code``
decides: ``Ok`` is sent (receipt ``SerialNo``, which delivery reports name as ``sid``);
frequency limits and Tencent's own faults are retried; anything else fails for good.

**No idempotency key.** Tencent refuses nothing as a repeat, so the channel is not
idempotent for a Tencent tenant: the worker claims each try before calling. A try a dead
worker left open is looked up with ``PullSmsSendStatusByPhoneNumber`` (:meth:`TencentSms.status`):
a status report carrying its ``SessionContext`` settles it as sent; none yet is "cannot
tell", asked again a few times, then the message is ``unconfirmed`` rather than sent again
(docs/messaging.md, "Not texting twice"). Tencent only lists a text once the carrier has
reported on it, so "not listed" never means "not sent".

Nothing here logs or raises with the phone number, the name or the template's fields.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from pitstop.sdk import ChannelFailed, Outbound, Receipt

from .settings import SmsSettings, TencentTemplate
from .tc3 import CONTENT_TYPE, Credentials, authorization

ACTION, VERSION, SERVICE = "SendSms", "2021-01-11", "sms"
STATUS_ACTION = "PullSmsSendStatusByPhoneNumber"
STATUS_WINDOW_S = 2 * 24 * 3600
"""How far back a status pull looks: the redelivery of a dead worker's message comes
minutes later, not days."""
RETRY_CODES = frozenset(
    {"RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit",
     "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.DeliveryFrequencyLimit",
     "ServiceUnavailable"}
)  # fmt: skip
"""Codes that may pass, with every ``InternalError.*``: flow control and Tencent's own
faults. Any other (``InvalidParameterValue.IncorrectPhoneNumber``,
``FailedOperation.TemplateIncorrectOrUnapproved``,
``FailedOperation.SignatureIncorrectOrUnapproved``,
``FailedOperation.InsufficientBalanceInSmsPackage``, ``AuthFailure.SignatureFailure``,
``AuthFailure.SecretIdNotFound``, ``LimitExceeded.PhoneNumberDailyLimit``...) fails the
message: trying again would spend quota or meet the same refusal."""


def e164(phone: str) -> str:
    """Tencent's spelling: ``+<country code><number>``; a bare number is a mainland one."""
    return phone if phone.startswith("+") else f"+86{phone}"


def request_body(settings: SmsSettings, message: Outbound, template: TencentTemplate) -> bytes:
    fields: dict[str, Any] = {"customer_name": message.recipient_name, **message.data}
    missing = [name for name in template.params if name not in fields]
    if missing:
        raise ChannelFailed(f"sms: template {message.template} needs {', '.join(missing)}")
    body = {
        "PhoneNumberSet": [e164(message.to)],
        "SmsSdkAppId": settings.tencent.sdk_app_id,
        "SignName": settings.sign_name,
        "TemplateId": template.id,
        "TemplateParamSet": [str(fields[name]) for name in template.params],
        "SessionContext": f"{message.message_id}:{message.attempt}",
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


class TencentSms:
    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._transport, self._now = transport, now

    async def send(self, settings: SmsSettings, message: Outbound) -> Receipt:
        account = settings.tencent
        if not (settings.access_key_id and settings.access_key_secret and account.sdk_app_id):
            raise ChannelFailed("sms: SecretId, SecretKey and SmsSdkAppId are not set")
        template = account.templates.get(message.template or "")
        if template is None:
            raise ChannelFailed(f"sms: no Tencent template for {message.template}")
        payload = request_body(settings, message, template)
        status, answer = await self._post(settings, payload)
        return _outcome(status, answer)

    async def status(self, settings: SmsSettings, message: Outbound) -> Receipt:
        """Tencent's report of this try (``SessionContext`` = message id and attempt)."""
        now = int(self._now())
        reports = await self.pull(settings, message.to, begin=now - STATUS_WINDOW_S, end=now)
        context = f"{message.message_id}:{message.attempt}"
        for report in reports:
            if report.get("SessionContext") == context:
                delivered = report.get("ReportStatus") == "SUCCESS"
                return Receipt(str(report.get("SerialNo") or context), delivered=delivered)
        raise ChannelFailed("sms: Tencent has no report of this try yet", retry=True)

    async def pull(
        self, settings: SmsSettings, phone: str, *, begin: int, end: int
    ) -> list[dict[str, Any]]:
        """The carrier's reports of the texts to one number between two Unix times (the
        reports hold the number: use, never log). ``ChannelFailed`` when Tencent cannot
        say now (``retry``) or refuses the query."""
        query = {
            "BeginTime": begin,
            "EndTime": end,
            "Offset": 0,
            "Limit": 100,
            "PhoneNumber": e164(phone),
            "SmsSdkAppId": settings.tencent.sdk_app_id,
        }
        payload = json.dumps(query, sort_keys=True).encode()
        status, answer = await self._post(settings, payload, STATUS_ACTION)
        code = str((answer.get("Error") or {}).get("Code") or "")
        if status != 200 or code:
            retry = status == 0 or status >= 500 or code in RETRY_CODES or "InternalError" in code
            raise ChannelFailed(f"sms: status pull answered {status} {code}", retry=retry)
        found = answer.get("PullSmsSendStatusSet") or []
        return [r for r in found if isinstance(r, dict)]

    async def _post(
        self, settings: SmsSettings, payload: bytes, action: str = ACTION
    ) -> tuple[int, dict[str, Any]]:
        """The HTTP status (0 for a network error) and the ``Response`` object (``{}``)."""
        url = httpx.URL(settings.tencent.endpoint)
        host = url.netloc.decode()
        timestamp = int(self._now())
        credentials = Credentials(settings.access_key_id, settings.access_key_secret)
        headers = {
            "Authorization": authorization(
                credentials,
                service=SERVICE,
                host=host,
                action=action,
                payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": settings.tencent.region,
        }
        async with httpx.AsyncClient(
            timeout=settings.timeout_s, transport=self._transport
        ) as client:
            try:
                response = await client.post(url, content=payload, headers=headers)
            except httpx.HTTPError:
                return 0, {}
        try:
            answer = response.json().get("Response", {})
        except (ValueError, AttributeError):
            answer = {}
        return response.status_code, answer if isinstance(answer, dict) else {}


def _outcome(status: int, answer: dict[str, Any]) -> Receipt:
    error = answer.get("Error")
    statuses = answer.get("SendStatusSet") or [{}]
    first = statuses[0] if isinstance(statuses[0], dict) else {}
    code = str((error or {}).get("Code") or first.get("Code") or "")
    if status == 200 and code == "Ok" and first.get("SerialNo"):
        return Receipt(str(first["SerialNo"]))
    if status == 0 or status >= 500 or code in RETRY_CODES or code.startswith("InternalError"):
        raise ChannelFailed(f"sms: provider answered {status} {code}", retry=True)
    raise ChannelFailed(f"sms: provider refused ({code or status})", retry=False)
