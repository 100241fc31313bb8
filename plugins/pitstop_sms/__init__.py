"""The ``sms`` channel: customer texts through Aliyun SMS or Tencent Cloud SMS.

Each message is one signed ``SendSms`` call (RPC signature 1.0, HMAC-SHA1) naming the
tenant's approved sign name and the template code its settings map the Pitstop template
to; the template's fields go as ``TemplateParam``. The AccessKey secret is write-only
through the plugins API and sealed at rest with the tenant's key by the core. Delivery
reports come back through ``POST /api/v1/sms/receipts``. With ``provider = "tencent"`` a
text is one TC3-HMAC-SHA256-signed ``SendSms`` (:mod:`pitstop_sms.tencent`) and reports
come back through ``POST /api/v1/sms/receipts/tencent``. Customers' replies (``TD``,
``退订``: an unsubscribe) come back through ``POST /api/v1/sms/replies`` (Aliyun) and
``/replies/tencent``. Written against ``pitstop.sdk``
only; docs/plugins/sms.md is the tenant's and the operator's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pitstop.sdk import Channel, PluginInfo, Schedule, hookimpl, permission

from .channel import SmsChannel
from .receipts import ReceiptsController
from .replies import RepliesController
from .reports_pull import pull_reports
from .settings import SmsSettings
from .wording import DESCRIPTION, MESSAGES, TITLE


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="sms",
        version="0.3.0",
        title=TITLE,
        messages=MESSAGES,
        sdk=">=1.5,<2",
        settings=SmsSettings,
        permissions=(
            permission(
                "sms:receipts",
                "Post the SMS provider's delivery reports and customers' replies (give it to"
                " the relay's API key)",
                {"hq_admin"},
            ),
        ),
        description=DESCRIPTION,
    )


@hookimpl
def channels() -> Sequence[Channel]:
    return [SmsChannel()]


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("pull_reports", "*/15 * * * *", pull_reports)]


@hookimpl
def routes() -> Sequence[Any]:
    return [ReceiptsController, RepliesController]
