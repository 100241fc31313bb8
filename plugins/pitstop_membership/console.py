"""Membership at the console: the 360° panel (``customer_panels``: the tier, the points
balance and what expires soon, the vouchers the customer can use today) and HQ's liability
page (``/console/membership/``: points and vouchers outstanding per store, and what one
store owes another for redemptions).

The panel reads exactly what the programme's ``customer_summary`` section says (the same
functions); voucher codes stay out of it, as in the section (a code is a bearer secret the
customer shows at the desk). The liability page is the two reports of the API
(``/reports/liability`` for this month, ``/reports/vouchers``) with the reader's stores.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency

from pitstop.sdk import (
    ConsoleLink,
    ConsolePage,
    ConsolePages,
    CustomerPanel,
    PluginContext,
    get_store,
)
from pitstop_membership import customers, dates, reports, voucher_customers, voucher_reports
from pitstop_membership.settings import programme

# The KPI tile's figures (console.figures; SDK 1.5 kinds).
FIGURE_LABELS = {
    "Membership & points": "会员与积分",
    "Membership": "会员",
    "points_outstanding": "未使用积分",
    "members": "会员数",
    "member_orders": "会员订单",
    "member_average_ticket": "会员客单价",
    "non_member_orders": "非会员订单",
    "non_member_average_ticket": "非会员客单价",
}
FIGURE_KINDS = {"member_average_ticket": "money", "non_member_average_ticket": "money"}

LABELS = {
    "zh_CN": {
        **FIGURE_LABELS,
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
        "Points and vouchers": "积分与优惠券",
        "Liability": "负债",
        "Points this month, by store": "本月积分（按门店）",
        "Store": "门店",
        "HQ": "总部",
        "Issued": "发放",
        "Redeemed": "兑换",
        "Expired": "过期",
        "Reversed": "冲销",
        "Outstanding": "未使用",
        "Vouchers by store": "优惠券（按门店）",
        "Outstanding face value": "未使用面值",
        "Redeemed value": "已核销金额",
        "Owed between stores": "门店间结算",
        "Earned or issued at": "发放门店",
        "Redeemed at": "核销门店",
        "Value": "金额",
    }
}


async def customer_panel(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    section = await voucher_customers.with_vouchers(
        ctx, customer_id, await customers.summary(ctx, customer_id)
    )
    if section is None:
        return None
    return CustomerPanel(title="Membership", template="panel.html", values=dict(section.data))


class MembershipPages(Controller):
    path = "/"

    @get("/", opt={"permission": "membership:read"})
    async def liability(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage]
    ) -> Any:
        """This month's points flows and what is outstanding now, and the vouchers'."""
        settings = programme(ctx)
        today = dates.local_date(settings, ctx.now())
        start = dates.local_midnight(settings, today.replace(day=1))
        end = dates.local_midnight(settings, today + dt.timedelta(days=1))  # as the API's
        scope = ctx.principal.store_ids if ctx.principal else None
        points = await reports.liability(ctx, start, end, scope)
        vouchers = await voucher_reports.liability(ctx, scope)
        codes: dict[str, str] = {}
        store_ids = {r.store_id for r in points.stores} | {r.store_id for r in vouchers.stores}
        for store_id in store_ids:
            if store_id is None:
                continue  # HQ's own grants and vouchers
            store = await get_store(ctx, store_id)
            codes[str(store_id)] = "?" if store is None else store.code
        return page("liability.html", points=points, vouchers=vouchers, codes=codes)


def console_pages() -> ConsolePages:
    return ConsolePages(
        handlers=[MembershipPages],
        links=[ConsoleLink("/", "Points and vouchers", "membership:read")],
        templates=Path(__file__).parent / "templates",
        labels=LABELS,
        kinds=FIGURE_KINDS,
    )
