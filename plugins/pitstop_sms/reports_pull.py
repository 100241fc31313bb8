"""Delivery reports pulled from Aliyun (``QuerySendDetails``) for tenants that cannot take
Aliyun's push - no public URL, or a firewall in the way.

Every 15 minutes (``pull_reports`` on, provider Aliyun) the schedule asks Aliyun about the
texts this channel sent in the last three days that have no report yet: one signed query
per text, naming its number, its send date (Beijing time, as Aliyun files them) and its
``BizId``. ``SendStatus`` 3 is delivered and 2 failed (``ErrCode`` kept as the reason); 1
(waiting for the carrier) is asked again next time. A text whose ``BizId`` was lost with a
dead worker (receipt ``aliyun:unconfirmed:...``) is found by its ``OutId`` - the message
id - among that day's texts to the number. The answer holds the rendered text and the
number: neither is kept nor logged, only counts are.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

import httpx
import structlog

from pitstop.sdk import AwaitingReport, PluginContext, awaiting_reports, record_delivery

from .channel import provider_number
from .settings import SmsSettings
from .signing import sign

log = structlog.get_logger("pitstop_sms")
LOOK_BACK = dt.timedelta(days=3)
PER_RUN = 100
"""Texts asked about per tenant per run: Aliyun limits the query's rate, and the next run
takes the rest (oldest first)."""
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
DELIVERED, FAILED = 3, 2
UNCONFIRMED = "aliyun:unconfirmed:"


def query_params(
    settings: SmsSettings, pending: AwaitingReport, now: dt.datetime
) -> dict[str, str]:
    params = {
        "AccessKeyId": settings.access_key_id,
        "Action": "QuerySendDetails",
        "CurrentPage": "1",
        "Format": "JSON",
        "PageSize": "50",
        "PhoneNumber": provider_number(pending.to),
        "RegionId": settings.region_id,
        "SendDate": pending.sent_at.astimezone(BEIJING).strftime("%Y%m%d"),
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": str(uuid.uuid4()),
        "SignatureVersion": "1.0",
        "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    if not pending.receipt_id.startswith(UNCONFIRMED):
        params["BizId"] = pending.receipt_id
    params["Signature"] = sign("POST", params, settings.access_key_secret)
    return params


def _detail(answer: dict[str, Any], message_id: uuid.UUID) -> dict[str, Any] | None:
    """The report for this message: the one whose ``OutId`` is its id."""
    details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
    for detail in details:
        if isinstance(detail, dict) and detail.get("OutId") == str(message_id):
            return detail
    return None


async def pull_reports(ctx: PluginContext[SmsSettings]) -> None:
    settings = ctx.settings
    if not (
        settings.provider == "aliyun"
        and settings.pull_reports
        and settings.access_key_id
        and settings.access_key_secret
    ):
        return
    now = ctx.now()
    pending = await awaiting_reports(ctx, since=now - LOOK_BACK, limit=PER_RUN)
    recorded = asked = 0
    async with httpx.AsyncClient(timeout=settings.timeout_s) as client:
        for item in pending:
            answer = await _ask(client, settings.endpoint, query_params(settings, item, now))
            asked += 1
            detail = _detail(answer, item.message_id)
            status = int((detail or {}).get("SendStatus") or 0)
            if status in (DELIVERED, FAILED) and await record_delivery(
                ctx,
                item.message_id,
                receipt_id=item.receipt_id,
                delivered=status == DELIVERED,
                reason=str((detail or {}).get("ErrCode") or "") or None,
            ):
                recorded += 1
    log.info("sms_reports_pulled", asked=asked, recorded=recorded)


async def _ask(client: httpx.AsyncClient, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
    """Aliyun's answer, or ``{}`` when it cannot be had now (asked again next run)."""
    try:
        response = await client.post(endpoint, data=params)
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        return {}
    if not isinstance(answer, dict) or answer.get("Code") != "OK":
        return {}
    return answer
