"""Retention's page at the console (``/console/retention/``): who is due for a service, and
the recall and follow-up calls to make, each closed with one click; and the stores' service
intervals (:mod:`.console_intervals`).

The lists are the API's own (``api.due_vehicles``, ``api.task_list``: the same store
scope, the same masking of names, phones and plates) and an outcome goes through
``api.conclude``, audited as ``retention.task_outcome`` exactly as the API's route.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from pitstop.sdk import ConsoleLink, ConsolePage, ConsolePages, PluginContext, Unprocessable

from .api import conclude, due_vehicles, task_list
from .console_intervals import LABELS as INTERVAL_LABELS
from .console_intervals import IntervalPages
from .schemas import TaskOutcomeIn
from .settings import RetentionSettings
from .tasks import OUTCOMES

SHOWN = 50
# The KPI tile's figures and the 360° section's keys (console.figures; SDK 1.5 kinds).
FIGURE_LABELS = {
    "Retention": "客户保持",
    "Follow-ups and recalls": "回访与召回",
    "reminders_sent": "已发提醒",
    "reminder_conversion": "提醒转化率",
    "on_time_maintenance": "按时保养率",
    "recalls": "召回数",
    "win_back_rate": "召回成功率",
    "follow_up_calls": "回访电话",
    "follow_up_completion": "回访完成率",
    "surveys_answered": "已答问卷",
    "csi_mean": "平均满意度 (CSI)",
    "nps": "净推荐值 (NPS)",
    "callbacks": "回电请求",
    "callbacks_in_time": "按时回电率",
    "at_risk": "流失风险",
    "dormant": "沉睡",
    "became_at_risk": "新增流失风险",
    "became_dormant": "新增沉睡",
    "state": "状态",
    "risk_reasons": "风险原因",
    "next_due": "下次保养",
    "due_date": "到期日",
    "reason": "依据",
    "last_score": "最近评分",
    "csi": "满意度 (CSI)",
    "answered_at": "作答时间",
    "open_tasks": "待办任务",
    "history": "状态变化",
    "from": "原状态",
    "to": "截止",
    "reasons": "原因",
    "at": "时间",
    "active": "活跃",
    "lost": "已流失",
    "missed_services": "错过保养",
    "long_interval": "到店间隔过长",
    "complaint_unresolved": "投诉未解决",
    "no_visit": "久未到店",
    "no_risk": "无风险",
    "visit": "到店",
}
FIGURE_KINDS = {
    "reminder_conversion": "ratio",
    "on_time_maintenance": "ratio",
    "win_back_rate": "ratio",
    "follow_up_completion": "ratio",
    "callbacks_in_time": "ratio",
    "vehicle_id": "id",
    "store_id": "id",
}

LABELS = {
    "zh_CN": {
        **FIGURE_LABELS,
        "Due for a service": "到期保养",
        "Calls to make": "待回访",
        "Customer": "客户",
        "Phone": "电话",
        "Plate": "车牌",
        "Due on": "到期日",
        "Reason": "原因",
        "State": "状态",
        "Task": "任务",
        "Attempts": "尝试次数",
        "Outcome": "结果",
        "Nobody is due in the next 30 days.": "未来 30 天没有到期的车辆。",
        "No call to make.": "没有待回访的任务。",
        "upcoming": "即将到期",
        "due": "到期",
        "overdue": "已逾期",
        "mileage": "里程",
        "time": "时间",
        "recall": "保养召回",
        "follow_up": "服务回访",
        "callback": "回电",
        "reached": "已联系",
        "no_answer": "未接通",
        "wrong_number": "号码错误",
        "booked": "已预约",
        "declined": "婉拒",
        "do_not_contact": "勿再联系",
        **INTERVAL_LABELS,
    }
}


class RetentionPages(Controller):
    path = "/"

    @get("/", opt={"permission": "retention:read"})
    async def worklist(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        page: NamedDependency[ConsolePage],
    ) -> Any:
        """The due list (30 days ahead and overdue) and the open tasks, of one's stores."""
        due = await due_vehicles(ctx, None, "30d", None, SHOWN, None)
        open_tasks = await task_list(ctx, None, None, "open", SHOWN, None)
        can_work = ctx.principal is not None and ctx.principal.can("retention:work")
        return page(
            "worklist.html",
            due=due.items,
            tasks=open_tasks.items,
            outcomes=list(OUTCOMES),
            can_work=can_work,
        )

    @post("/tasks/{task_id:uuid}/outcome", opt={"permission": "retention:work"})
    async def outcome(
        self,
        ctx: NamedDependency[PluginContext],
        task_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
    ) -> Redirect:
        """One click: the outcome of the call, as ``POST /api/v1/retention/tasks/{id}/outcome``
        (another store's task is the 404 page, a closed one the 409 page)."""
        form = await request.form()
        try:
            data = msgspec.convert({"outcome": form.get("outcome")}, TaskOutcomeIn)
        except msgspec.ValidationError:
            raise Unprocessable.field("outcome", f"one of {', '.join(OUTCOMES)}") from None
        await conclude(ctx, task_id, data)
        return Redirect("/console/retention/", status_code=303)


def console_pages() -> ConsolePages:
    return ConsolePages(
        handlers=[RetentionPages, IntervalPages],
        links=[
            ConsoleLink("/", "Retention", "retention:read"),
            ConsoleLink("/intervals", "Service intervals", "retention:read"),
        ],
        templates=Path(__file__).parent / "templates",
        labels=LABELS,
        kinds=FIGURE_KINDS,
    )
