"""The trade-in leads board at the console (``/console/tradein/``): one column per working
stage, the longest-waiting lead first, with how many leads each stage holds.

Leads are read with the API's own store scope (``leads.scoped``) and shown through the
API's ``lead_out`` (staff notes are free text, masked for the reader). Moving a lead needs
an appraisal or an offer's figures, which the API takes; the moves that need none (the
customer's answer, lost, reconditioned, sold) are on each card (``board_moves``).
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
from .models import Lead
from .schemas import lead_out

COLUMNS = ("lead", "appraised", "offered", "accepted", "declined", "expired", "purchased",
           "reconditioned")  # fmt: skip
"""The stages where work remains; ``sold`` and ``lost`` are counted, not listed."""
PER_COLUMN = 30
LABELS = {
    "zh_CN": {
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
        handlers=[TradeinPages, BoardMoves],
        links=[ConsoleLink("/", "Trade-ins", "tradein:read")],
        templates=Path(__file__).parent / "templates",
        labels=LABELS,
    )
