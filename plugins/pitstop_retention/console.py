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
LABELS = {
    "zh_CN": {
        "Retention": "客户保持",
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
            raise Unprocessable.field("outcome", f"one of {list(OUTCOMES)}") from None
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
    )
