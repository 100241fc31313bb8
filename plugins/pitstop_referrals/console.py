"""The referrals panel of the console's 360° page (``customer_panels``): who referred the
customer, whom they referred, and the rewards on either side; and the review queue
(``review_page``).

It draws exactly the data of the plugin's ``customer_summary`` section (the same function,
the same store scope), so the console and the API's profile cannot disagree.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pitstop.sdk import ConsoleLink, ConsolePages, CustomerPanel, PluginContext

from . import privacy
from .review_page import ReviewPages

# The KPI tile's figures (console.figures; SDK 1.5 kinds).
FIGURE_LABELS = {
    "Referrals": "推荐",
    "Referral rewards": "推荐有礼",
    "linked": "已绑定",
    "qualified": "已达标",
    "rewarded": "已奖励",
    "disqualified": "不符合",
    "qualification_rate": "达标率",
    "review_backlog": "待审核",
}
FIGURE_KINDS = {"qualification_rate": "ratio"}

LABELS = {
    "zh_CN": {
        **FIGURE_LABELS,
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
        "Referrals to review": "待审核的推荐",
        "Review referrals": "推荐审核",
        "Linked": "关联时间",
        "Signals": "风险信号",
        "Held at": "暂停于",
        "Decision": "审核",
        "Reason": "理由",
        "Approve": "通过",
        "Reject": "拒绝",
        "No referral waits for review.": "没有待审核的推荐。",
        "same_id_number": "证件号相同",
        "same_address": "地址相同",
        "vehicle_owned_by_referrer": "车辆属于推荐人",
        "vehicle_serviced_for_referrer": "车辆曾为推荐人保养",
        "velocity": "推荐过于频繁",
        "staff_gaming": "员工刷单嫌疑",
    }
}


async def customer_panel(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    section = await privacy.customer_summary(ctx, customer_id)
    if section is None:
        return None
    return CustomerPanel(title="Referrals", template="panel.html", values=dict(section.data))


def console_pages() -> ConsolePages:
    return ConsolePages(
        handlers=[ReviewPages],
        links=[ConsoleLink("/review/", "Review referrals", "referrals:review")],
        templates=Path(__file__).parent / "templates",
        labels=LABELS,
        kinds=FIGURE_KINDS,
    )
