"""Delivery reports pulled from the provider for tenants that cannot take its push - no
public URL, or a firewall in the way.

Every 15 minutes (``pull_reports`` on, provider Aliyun) the schedule asks Aliyun about the
texts this channel sent in the last three days that have no report yet: one signed query
per text, naming its number, its send date (Beijing time, as Aliyun files them) and its
``BizId``. ``SendStatus`` 3 is delivered and 2 failed (``ErrCode`` kept as the reason); 1
(waiting for the carrier) is asked again next time. A text whose ``BizId`` was lost with a
dead worker (receipt ``aliyun:unconfirmed:...``) is found by its ``OutId`` - the message
id - among that day's texts to the number. The answer holds the rendered text and the
number: neither is kept nor logged, only counts are.

On Tencent Cloud (:func:`pull_tencent`) one ``PullSmsSendStatusByPhoneNumber`` per number
lists the carrier's reports of the texts to it since the oldest one waiting; a text's
report is the one holding its receipt (``SerialNo``). ``SUCCESS`` is delivered, ``FAIL``
failed (``Description`` kept as the reason); no report yet is asked again next run.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

import httpx
import structlog

from pitstop.sdk import (
    AwaitingReport,
    ChannelFailed,
    PluginContext,
    awaiting_reports,
    record_delivery,
)

from .channel import provider_number
from .settings import SmsSettings
from .signing import sign
from .tencent import TencentSms

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
    if not (settings.pull_reports and settings.access_key_id and settings.access_key_secret):
        return
    now = ctx.now()
    pending = await awaiting_reports(ctx, since=now - LOOK_BACK, limit=PER_RUN)
    if settings.provider == "tencent":
        asked, recorded = await pull_tencent(ctx, pending, TencentSms())
    else:
        asked, recorded = await _pull_aliyun(ctx, pending)
    log.info("sms_reports_pulled", provider=settings.provider, asked=asked, recorded=recorded)


async def _pull_aliyun(
    ctx: PluginContext[SmsSettings], pending: list[AwaitingReport]
) -> tuple[int, int]:
    settings, now = ctx.settings, ctx.now()
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
    return asked, recorded


async def pull_tencent(
    ctx: PluginContext[SmsSettings], pending: list[AwaitingReport], sms: TencentSms
) -> tuple[int, int]:
    """(numbers asked about, reports recorded): one query per number, from a minute before
    its oldest waiting text until now; a number Tencent cannot answer for waits a run."""
    by_phone: dict[str, list[AwaitingReport]] = {}
    for item in pending:
        by_phone.setdefault(item.to, []).append(item)
    end = int(ctx.now().timestamp())
    asked = recorded = 0
    for phone, items in by_phone.items():
        begin = int(min(i.sent_at for i in items).timestamp()) - 60
        try:
            reports = await sms.pull(ctx.settings, phone, begin=begin, end=end)
        except ChannelFailed:
            continue
        asked += 1
        by_serial = {str(r.get("SerialNo")): r for r in reports}
        for item in items:
            report = by_serial.get(item.receipt_id) or {}
            outcome = report.get("ReportStatus")
            if outcome in ("SUCCESS", "FAIL") and await record_delivery(
                ctx,
                item.message_id,
                receipt_id=item.receipt_id,
                delivered=outcome == "SUCCESS",
                reason=str(report.get("Description") or "") or None,
            ):
                recorded += 1
    return asked, recorded


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
