"""The trade-in leads board at the console (``/console/tradein/``): one column per working
stage, the longest-waiting lead first, with how many leads each stage holds.

Leads are read with the API's own store scope (``leads.scoped``) and shown through the
API's ``lead_out`` (staff notes are free text, masked for the reader). The moves that need
no figures (the customer's answer, lost, reconditioned, sold) are on each card
(``board_moves``); those that do (appraise, offer, approve, buy) are forms on the lead's
page, which each card links to (``console_lead``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy import func, select

from pitstop.sdk import ConsoleLink, ConsolePage, ConsolePages, PluginContext, get_vehicle

from . import leads
from .board_moves import BoardMoves
from .console_lead import ROLLBACK, LeadPages
from .models import Lead
from .schemas import lead_out

COLUMNS = ("lead", "appraised", "offered", "accepted", "declined", "expired", "purchased",
           "reconditioned")  # fmt: skip
"""The stages where work remains; ``sold`` and ``lost`` are counted, not listed."""
PER_COLUMN = 30
# The KPI tile's figures and the 360° section's keys (console.figures; SDK 1.5 kinds).
FIGURE_LABELS = {
    "Trade-in": "换购",
    "appraisals": "评估数",
    "purchases": "收购数",
    "purchase_total": "收购金额",
    "conversion": "收购转化率",
    "open_leads": "进行中的线索",
    "stage": "阶段",
    "last_appraisal_value": "最近评估价",
    "last_appraisal_at": "最近评估时间",
}
FIGURE_KINDS = {
    "purchase_total": "money",
    "last_appraisal_value": "money",
    "conversion": "ratio",
    "id": "id",
    "vehicle_id": "id",
}

LABELS = {
    "zh_CN": {
        **FIGURE_LABELS,
        "Trade-ins": "二手车置换",
        "Trade-in leads": "置换线索",
        "lead": "线索",
        "appraised": "已评估",
        "offered": "已报价",
        "accepted": "已接受",
        "declined": "已拒绝",
        "expired": "报价过期",
        "purchased": "已收购",
        "reconditioned": "已整备",
        "sold": "已售出",
        "lost": "已流失",
        "days in stage": "天（本阶段）",
        "Customer": "客户",
        "No lead.": "暂无线索。",
        "Closed": "已结束",
        "Accepted": "客户接受",
        "Declined": "客户拒绝",
        "Lost": "标记流失",
        "Reason": "原因",
        "Reconditioned": "整备完成",
        "Sold": "已售出",
        "Price (yuan)": "售价（元）",
        "Channel": "渠道",
        "no open offer to answer": "没有待答复的报价",
        "must be an amount such as 120 or 120.50": "请输入金额，如 120 或 120.50",
        "Trade-in lead": "置换线索",
        "Details": "详情",
        "Bought for": "收购价",
        "Appraisals": "评估记录",
        "Odometer (km)": "里程（公里）",
        "Grade": "车况等级",
        "Book value": "基准价",
        "Valuation": "估值",
        "Appraised": "评估时间",
        "Not appraised yet.": "尚未评估。",
        "Offers": "报价",
        "Amount": "金额",
        "Valid until": "有效期至",
        "awaiting_approval": "待审批",
        "rejected": "已驳回",
        "over_amount": "超过审批金额",
        "over_valuation": "高于估值",
        "Approve": "批准",
        "Reject": "驳回",
        "No offer yet.": "暂无报价。",
        "Appraise": "评估",
        "Condition, 1 (poor) to 5 (as new)": "车况，1（差）至 5（如新）",
        "exterior": "外观",
        "interior": "内饰",
        "mechanical": "机械",
        "tyres": "轮胎",
        "electrical": "电气",
        "Accident": "事故车",
        "Flood": "泡水车",
        "Keys": "钥匙数",
        "Book value (yuan), if the price table has none": "基准价（元），价格表没有时填写",
        "Where the book value comes from": "基准价来源",
        "Reconditioning (category, estimate in yuan)": "整备项目（类别，预估金额/元）",
        "Category": "类别",
        "Estimate (yuan)": "预估（元）",
        "The odometer reads lower than the shop recorded, and that is right": (
            "里程低于本店记录，确认无误"
        ),
        "Why": "原因",
        "Make an offer": "报价",
        "Amount (yuan)": "金额（元）",
        "Valid for (days)": "有效天数",
        "Buy the car": "收购车辆",
        "Purchase price (yuan)": "收购价（元）",
        "The customer buys the replacement from us": "客户在本店购买新车",
        "Replacement amount (yuan)": "新车金额（元）",
        ROLLBACK: "低于本店记录的里程：请勾选确认并填写原因",
        "required with a hand-entered book_value": "手工填写基准价时必须注明来源",
        "the price table has no row for this make, model and year: enter it": (
            "价格表中没有该品牌、车型和年份：请手工填写"
        ),
        "the vehicle has neither a purchase date nor a year": "车辆既没有购买日期也没有年份",
        "appraise the car before making an offer": "请先评估车辆再报价",
        "an offer on this lead awaits approval": "该线索有报价正在等待审批",
        "is approve or reject": "只能是批准或驳回",
    }
}


async def board(ctx: PluginContext) -> dict[str, Any]:
    """Each working stage's oldest leads, and every stage's count, in the reader's stores."""
    counted = leads.scoped(ctx, select(Lead.stage, func.count()).group_by(Lead.stage))
    counts = {stage: n for stage, n in (await ctx.session.execute(counted)).all()}
    now = ctx.now()
    columns = []
    for stage in COLUMNS:
        statement = leads.scoped(ctx, select(Lead).where(Lead.stage == stage))
        rows = (
            await ctx.session.scalars(
                statement.order_by(Lead.stage_changed_at, Lead.id).limit(PER_COLUMN)
            )
        ).all()
        cards = [await _card(ctx, row, now) for row in rows]
        columns.append({"stage": stage, "count": counts.get(stage, 0), "cards": cards})
    closed = {stage: counts.get(stage, 0) for stage in ("sold", "lost")}
    principal = ctx.principal
    may = {
        p: principal is not None and principal.can(f"tradein:{p}") for p in ("appraise", "offer")
    }
    return {"columns": columns, "closed": closed, "may": may}


async def _card(ctx: PluginContext, lead: Lead, now: dt.datetime) -> dict[str, Any]:
    vehicle = await get_vehicle(ctx, lead.vehicle_id)
    changed = lead.stage_changed_at
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=dt.UTC)
    return {
        "lead": lead_out(lead),
        "vehicle": None if vehicle is None else f"{vehicle.make or ''} {vehicle.model or ''}",
        "days": (now - changed).days,
    }


class TradeinPages(Controller):
    path = "/"

    @get("/", opt={"permission": "tradein:read"})
    async def leads_board(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage]
    ) -> Any:
        return page("board.html", errors={}, **await board(ctx))


def console_pages() -> ConsolePages:
    return ConsolePages(
        handlers=[TradeinPages, BoardMoves, LeadPages],
        links=[ConsoleLink("/", "Trade-ins", "tradein:read")],
        templates=Path(__file__).parent / "templates",
        labels=LABELS,
        kinds=FIGURE_KINDS,
    )
