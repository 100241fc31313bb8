"""The complaints worklist at the console (``/console/complaints/``), through ``console_pages``.

Open complaints of the reader's stores, the most urgent clock first, each with both SLA
clocks as the staff need them: time left, paused, met or breached, and the escalation
level. "Live": the page carries each deadline, and the console's own script counts down
between reloads; without it the time left is the server's at render. A new complaint is
acknowledged in one click, through the same ``workflow.move`` as the API's route; the rest
of the work on a complaint is on its own page (``console_case``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from pitstop.sdk import (
    ConsoleLink,
    ConsolePage,
    ConsolePages,
    CustomerPanel,
    FreeText,
    PluginContext,
    list_staff,
)

from . import workflow
from .clocks import running
from .models import Complaint

OPEN = ("new", "acknowledged", "investigating", "awaiting_customer")
SHOWN = 100
# The KPI tile's figures (console.figures; SDK 1.5 kinds).
FIGURE_LABELS = {
    "Complaints": "投诉",
    "complaints": "投诉数",
    "first_response_sla": "首次响应达标率",
    "resolution_sla": "解决时限达标率",
    "first_contact_resolution_rate": "首次接触解决率",
}
FIGURE_KINDS = {
    "first_response_sla": "ratio",
    "resolution_sla": "ratio",
    "first_contact_resolution_rate": "ratio",
}

LABELS = {
    "zh_CN": {
        **FIGURE_LABELS,
        "Open complaints": "待处理投诉",
        "First response": "首次响应",
        "Resolution": "解决",
        "Escalation": "升级",
        "Severity": "严重程度",
        "Status": "状态",
        "Logged": "登记时间",
        "Customer": "客户",
        "Description": "描述",
        "Acknowledge": "确认受理",
        "breached": "已超时",
        "met": "已达成",
        "paused": "已暂停",
        "left": "剩余",
        "overdue": "已逾期",
        "new": "新登记",
        "acknowledged": "已受理",
        "investigating": "调查中",
        "awaiting_customer": "等待客户",
        "resolved": "已解决",
        "closed": "已关闭",
        "No open complaint.": "没有待处理的投诉。",
        "Complaints of this customer": "该客户的投诉",
        "Complaint": "投诉",
        "Note": "备注",
        "status": "更新状态",
        "reply": "记录客户回复",
        "resolve": "解决",
        "close": "关闭",
        "reopen": "重新打开",
        "assign": "改派",
        "Assign to": "改派给",
        "Assignee": "负责人",
        "No longer works here": "已不在职",
        "The customer's reply": "客户回复",
        "How it was resolved": "解决方案",
        "Resolved at first contact": "首次接触即解决",
        "Why it is reopened": "重新打开的原因",
        "History": "处理记录",
        "transition": "状态变更",
        "assignment": "改派",
        "survey": "回访",
        "store_manager": "店长",
        "service_advisor": "服务顾问",
        "technician": "技师",
        "hq_admin": "总部管理员",
        "no such active staff member at this store": "该门店没有这位在职员工",
        "a resolved complaint goes back to work only by reopen": (
            "已解决的投诉只能通过重新打开继续处理"
        ),
        "a closed complaint goes back to work only by reopen": (
            "已关闭的投诉只能通过重新打开继续处理"
        ),
    }
}


def clock_of(complaint: Complaint, clock: str, now: dt.datetime) -> dict[str, Any]:
    """One SLA clock as the worklist shows it; ``seconds_left`` is negative once overdue
    but not yet recorded as breached (the sweep runs every 30 s)."""
    due = _aware(getattr(complaint, f"{clock}_due_at"))
    if getattr(complaint, f"{clock}_met_at") is not None:
        state = "met"
    elif getattr(complaint, f"{clock}_breached_at") is not None or due <= now:
        state = "breached"
    elif complaint.paused_at is not None:
        state = "paused"
    else:
        state = "running"
    return {"state": state, "due_at": due, "seconds_left": int((due - now).total_seconds())}


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def worklist_row(complaint: Complaint, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": complaint.id,
        "customer_id": complaint.customer_id,
        "severity": complaint.severity,
        "status": complaint.status,
        "category": complaint.category,
        "description": FreeText(complaint.description[:140]),
        "created_at": complaint.created_at,
        "escalation_level": complaint.escalation_level,
        "response": clock_of(complaint, "response", now),
        "resolution": clock_of(complaint, "resolution", now),
        "can_acknowledge": complaint.status == "new" and running(complaint, "response"),
    }


class ComplaintPages(Controller):
    path = "/"

    @get("/", opt={"permission": "complaints:read"})
    async def worklist(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage]
    ) -> Any:
        """Open complaints of the reader's stores, the nearest resolution deadline first."""
        statement = select(Complaint).where(Complaint.status.in_(OPEN))
        stores = ctx.principal.store_ids if ctx.principal is not None else None
        if stores is not None:
            statement = statement.where(Complaint.store_id.in_(stores))
        statement = statement.order_by(Complaint.resolution_due_at, Complaint.id).limit(SHOWN)
        rows = (await ctx.session.scalars(statement)).all()
        now = ctx.now()
        can_write = ctx.principal is not None and ctx.principal.can("complaints:write")
        names: dict[uuid.UUID | None, Any] = {s.id: s.name for s in await list_staff(ctx)}
        return page(
            "worklist.html",
            complaints=[
                worklist_row(c, now) | {"assignee": names.get(c.assignee_id)} for c in rows
            ],
            can_write=can_write,
        )

    @post("/{complaint_id:uuid}/acknowledge", opt={"permission": "complaints:write"})
    async def acknowledge(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
    ) -> Redirect:
        """The first response in one click, as ``POST /api/v1/complaints/{id}/acknowledge``
        (another store's complaint is the 404 page; a second click is the 409 page)."""
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.move(ctx, complaint, "acknowledged", None)
        return Redirect("/console/complaints/", status_code=303)


async def customer_panel(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    """The customer's complaints of the reader's stores on the 360° page, open ones first."""
    statement = select(Complaint).where(Complaint.customer_id == customer_id)
    stores = ctx.principal.store_ids if ctx.principal is not None else None
    if stores is not None:
        statement = statement.where(Complaint.store_id.in_(stores))
    rows = (
        await ctx.session.scalars(statement.order_by(Complaint.created_at.desc()).limit(10))
    ).all()
    if not rows:
        return None
    now = ctx.now()
    return CustomerPanel(
        title="Complaints of this customer",
        template="panel.html",
        values={"complaints": [worklist_row(c, now) for c in rows]},
    )


def console_pages() -> ConsolePages:
    from .console_case import ComplaintCase  # it builds on this module's rows

    return ConsolePages(
        handlers=[ComplaintPages, ComplaintCase],
        links=[ConsoleLink("/", "Complaints", "complaints:read")],
        templates=Path(__file__).parent / "templates",
        labels=LABELS,
        kinds=FIGURE_KINDS,
    )
