"""Delivery reports (``SmsReport``): the carrier's word on whether a text arrived.

Aliyun pushes a JSON array of reports to a URL the tenant configures; Pitstop takes it
at ``POST /api/v1/sms/receipts`` with an integration API key holding ``sms:receipts``
(the tenant's relay, or the provider's push through a gateway adding the key). Each
report names the message twice - ``out_id`` is the contact log's message id and
``biz_id`` the provider's receipt - and only a report naming both of a message this
channel sent moves it to ``delivered`` or ``failed``: another tenant's ids, or a guess,
change nothing and are counted as ``ignored``. The phone number in a report is neither
stored nor logged.

Tencent Cloud pushes its status callback (a JSON array naming ``sid``, the ``SerialNo``
its send answered) to ``POST /api/v1/sms/receipts/tencent``: the report names the receipt
only, so the one message of this channel holding that receipt is meant.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from pitstop.sdk import PluginContext, record_delivery

MAX_REPORTS = 500


class SmsReport(msgspec.Struct):
    """One report as Aliyun pushes it (fields it adds later are let through)."""

    success: bool
    biz_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    out_id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    err_code: Annotated[str, msgspec.Meta(max_length=64)] = ""
    phone_number: str = ""
    send_time: str = ""
    report_time: str = ""
    err_msg: str = ""
    sms_size: str = ""


class ReceiptsAnswer(msgspec.Struct):
    code: int
    """0: Aliyun's "received" (anything else makes it push again)."""
    msg: str
    recorded: int
    ignored: int


class ReceiptsController(Controller):
    path = "/receipts"
    tags = ["sms"]

    @post("/", status_code=200, opt={"permission": "sms:receipts"})
    async def take_reports(
        self,
        ctx: NamedDependency[PluginContext],
        data: JSONBody[Annotated[list[SmsReport], msgspec.Meta(max_length=MAX_REPORTS)]],
    ) -> ReceiptsAnswer:
        recorded = 0
        for report in data:
            message_id = _uuid(report.out_id)
            if message_id is not None and await record_delivery(
                ctx,
                message_id,
                receipt_id=report.biz_id,
                delivered=report.success,
                reason=report.err_code or None,
            ):
                recorded += 1
        ignored = len(data) - recorded
        await ctx.audit(
            "sms.receipts_recorded",
            resource="message",
            detail={"recorded": recorded, "ignored": ignored},
        )
        return ReceiptsAnswer(code=0, msg="成功", recorded=recorded, ignored=ignored)

    @post("/tencent", status_code=200, opt={"permission": "sms:receipts"})
    async def take_tencent_reports(
        self,
        ctx: NamedDependency[PluginContext],
        data: JSONBody[Annotated[list[TencentReport], msgspec.Meta(max_length=MAX_REPORTS)]],
    ) -> TencentAnswer:
        recorded = await _record_tencent(ctx, data)
        ignored = len(data) - recorded
        await ctx.audit(
            "sms.receipts_recorded",
            resource="message",
            detail={"recorded": recorded, "ignored": ignored, "provider": "tencent"},
        )
        return TencentAnswer(result=0, errmsg="OK", recorded=recorded, ignored=ignored)


class TencentReport(msgspec.Struct):
    """One status callback entry as Tencent Cloud pushes it (later fields let through)."""

    sid: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: Annotated[str, msgspec.Meta(max_length=64)] = ""
    user_receive_time: str = ""
    nationcode: str = ""
    mobile: str = ""
    description: str = ""


class TencentAnswer(msgspec.Struct):
    result: int
    """0: Tencent's "received"."""
    errmsg: str
    recorded: int
    ignored: int


async def _record_tencent(ctx: PluginContext, reports: list[TencentReport]) -> int:
    recorded = 0
    for report in reports:
        delivered = report.report_status == "SUCCESS"
        if await record_delivery(
            ctx, None, receipt_id=report.sid, delivered=delivered, reason=report.errmsg or None
        ):
            recorded += 1
    return recorded


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
