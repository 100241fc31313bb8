"""Customers' replies (上行短信) as each provider pushes them: "TD" / "退订" unsubscribes.

Aliyun pushes replies (``SmsUp``, a JSON array) and Tencent Cloud its reply callback (one
JSON object per reply) to a URL the tenant configures. Neither provider signs these
pushes, so, like delivery reports, they come in through the tenant's relay holding an API
key with ``sms:receipts``; and a reply counts only when it answers the tenant's own sign
name (a reply to another business's texts sent over a shared number is ignored). An
unsubscribe keyword withdraws the sender's **marketing** consent by SMS through the core
(``record_reply``: history, ``customer.consent_changed`` audit, source ``sms_reply``);
other texts change nothing. The number and the text are neither stored nor logged.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from pitstop.sdk import PluginContext, Unprocessable, record_reply

from .settings import SmsSettings

MAX_REPLIES = 500
Text = Annotated[str, msgspec.Meta(max_length=500)]
Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=32)]


class AliyunReply(msgspec.Struct):
    """One ``SmsUp`` entry as Aliyun pushes it (fields it adds later are let through)."""

    phone_number: Phone
    content: Text
    sign_name: Annotated[str, msgspec.Meta(max_length=24)] = ""
    dest_code: str = ""
    send_time: str = ""
    sequence_id: int = 0


class TencentReply(msgspec.Struct):
    """Tencent Cloud's reply callback (``mobile`` without the ``nationcode``)."""

    mobile: Phone
    nationcode: Annotated[str, msgspec.Meta(max_length=6, pattern=r"^\d*$")]
    text: Text
    sign: Annotated[str, msgspec.Meta(max_length=24)] = ""
    time: int = 0
    extend: str = ""


class AliyunAnswer(msgspec.Struct):
    code: int
    msg: str
    unsubscribed: int
    ignored: int


class TencentAnswer(msgspec.Struct):
    result: int
    errmsg: str
    unsubscribed: int
    ignored: int


async def _reply(ctx: PluginContext[SmsSettings], sign: str, sender: str, text: str) -> int | None:
    """Customers unsubscribed by one reply; None when it is not the tenant's to take (another
    sign name, a number that is none)."""
    own = ctx.settings.sign_name
    if own and sign and sign != own:
        return None
    try:
        return await record_reply(ctx, medium="sms", sender=sender, text=text) or 0
    except Unprocessable:
        return None


class RepliesController(Controller):
    path = "/replies"
    tags = ["sms"]

    @post("/", status_code=200, opt={"permission": "sms:receipts"})
    async def take_aliyun(
        self,
        ctx: NamedDependency[PluginContext[SmsSettings]],
        data: JSONBody[Annotated[list[AliyunReply], msgspec.Meta(max_length=MAX_REPLIES)]],
    ) -> AliyunAnswer:
        unsubscribed = ignored = 0
        for reply in data:
            count = await _reply(ctx, reply.sign_name, reply.phone_number, reply.content)
            ignored += count is None
            unsubscribed += count or 0
        await _audit(ctx, len(data), unsubscribed, ignored, "aliyun")
        return AliyunAnswer(code=0, msg="成功", unsubscribed=unsubscribed, ignored=ignored)

    @post("/tencent", status_code=200, opt={"permission": "sms:receipts"})
    async def take_tencent(
        self, ctx: NamedDependency[PluginContext[SmsSettings]], data: JSONBody[TencentReply]
    ) -> TencentAnswer:
        sender = f"+{data.nationcode or '86'}{data.mobile.lstrip('+')}"
        count = await _reply(ctx, data.sign, sender, data.text)
        await _audit(ctx, 1, count or 0, int(count is None), "tencent")
        return TencentAnswer(result=0, errmsg="OK", unsubscribed=count or 0,
                             ignored=int(count is None))  # fmt: skip


async def _audit(
    ctx: PluginContext, replies: int, unsubscribed: int, ignored: int, provider: str
) -> None:
    detail = {"replies": replies, "unsubscribed": unsubscribed, "ignored": ignored,
              "provider": provider}  # fmt: skip
    await ctx.audit("sms.replies_recorded", resource="message", detail=detail)
