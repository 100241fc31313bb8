"""The membership panel of the console's 360° page (``customer_panels``): the tier, the
points balance and what expires soon, and the vouchers the customer can use today.

It reads exactly what the programme's ``customer_summary`` section says (the same
functions), drawn for the front desk; voucher codes stay out of it, as in the section (a
code is a bearer secret the customer shows at the desk).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pitstop.sdk import ConsolePages, CustomerPanel, PluginContext
from pitstop_membership import customers, voucher_customers

LABELS = {
    "zh_CN": {
        "Membership": "会员",
        "Tier": "等级",
        "Points": "积分",
        "Expiring soon": "即将过期",
        "first on": "最早于",
        "Vouchers": "优惠券",
        "valid until": "有效期至",
        "No usable voucher.": "没有可用的优惠券。",
        "set by staff": "人工设定",
        "amount": "满减",
        "percent": "折扣",
        "item": "项目",
    }
}


async def customer_panel(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    section = await voucher_customers.with_vouchers(
        ctx, customer_id, await customers.summary(ctx, customer_id)
    )
    if section is None:
        return None
    return CustomerPanel(title="Membership", template="panel.html", values=dict(section.data))


def console_pages() -> ConsolePages:
    return ConsolePages(templates=Path(__file__).parent / "templates", labels=LABELS)
