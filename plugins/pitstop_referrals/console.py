"""The referrals panel of the console's 360° page (``customer_panels``): who referred the
customer, whom they referred, and the rewards on either side.

It draws exactly the data of the plugin's ``customer_summary`` section (the same function,
the same store scope), so the console and the API's profile cannot disagree.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pitstop.sdk import ConsolePages, CustomerPanel, PluginContext

from . import privacy

LABELS = {
    "zh_CN": {
        "Referrals": "推荐",
        "Referred by": "推荐人",
        "Referred": "已推荐",
        "of whom rewarded": "其中已奖励",
        "Rewards": "奖励",
        "referrer": "推荐方",
        "referee": "被推荐方",
        "points": "积分",
        "voucher": "优惠券",
        "pending": "待到店",
        "qualifying": "资格确认中",
        "qualified": "已达标",
        "rewarded": "已奖励",
        "review": "人工审核",
        "disqualified": "不符合条件",
        "expired": "已过期",
        "granted": "已发放",
        "requested": "已申请",
        "rejected": "被拒绝",
        "revoked": "已撤销",
    }
}


async def customer_panel(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    section = await privacy.customer_summary(ctx, customer_id)
    if section is None:
        return None
    return CustomerPanel(title="Referrals", template="panel.html", values=dict(section.data))


def console_pages() -> ConsolePages:
    return ConsolePages(templates=Path(__file__).parent / "templates", labels=LABELS)
