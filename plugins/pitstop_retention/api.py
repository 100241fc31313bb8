"""HTTP API of retention's lists and actions, mounted at ``/api/v1/retention``.

Store scope is one rule (:func:`scoped`): a store-scoped caller's query is narrowed to
their stores in SQL, so another store's task is a 404 exactly like another tenant's; a
row with no store (a car never serviced here) is HQ's only.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from pitstop.sdk import (
    Conflict,
    Limit,
    NotFound,
    Page,
    PluginContext,
    Unprocessable,
    checked_instant,
    free_text,
    get_customers,
    get_store,
    get_vehicle,
    keyset,
    page_of,
)

from . import follow_ups, tasks
from .due import local_day
from .models import Survey, Task, VehicleDue
from .projection import state_of
from .schemas import (
    DueVehicleOut,
    FollowUpSurveyOut,
    RetentionTaskOut,
    SurveyAnswerIn,
    TaskOutcomeIn,
    customer_out,
    due_out,
    task_out,
)
from .settings import RetentionSettings

READ, WORK = {"permission": "retention:read"}, {"permission": "retention:work"}
MANAGE = {"permission": "retention:manage"}
STATES = ("upcoming", "due", "overdue")
STATUSES = ("open", "done", "cancelled")


def scoped(ctx: PluginContext, statement: Any, column: Any) -> Any:
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        return statement.where(column.in_(principal.store_ids))
    return statement


async def checked_store(ctx: PluginContext, store_id: uuid.UUID | None) -> uuid.UUID | None:
    """A store filter the caller may use: another tenant's or store's is a 404."""
    if store_id is not None and (
        await get_store(ctx, store_id) is None
        or (ctx.principal is not None and not ctx.principal.sees_store(store_id))
    ):
        raise NotFound("no such store of yours", code="store_not_found")
    return store_id


def window_days(window: str) -> int:
    found = re.fullmatch(r"(\d{1,3})d", window)
    if found is None or not 1 <= int(found.group(1)) <= 365:
        raise Unprocessable.field("window", "days, 1d to 365d (e.g. 30d)")
    return int(found.group(1))


def _due_filter(statement: Any, state: str | None, today: dt.date, window: int, grace: int) -> Any:
    horizon, overdue_from = today + dt.timedelta(days=window), today - dt.timedelta(days=grace)
    if state is None:
        return statement.where(VehicleDue.due_date <= horizon)
    if state not in STATES:
        raise Unprocessable.field("state", f"one of {', '.join(STATES)}")
    if state == "upcoming":
        return statement.where(VehicleDue.due_date > today, VehicleDue.due_date <= horizon)
    if state == "due":
        return statement.where(VehicleDue.due_date > overdue_from, VehicleDue.due_date <= today)
    return statement.where(VehicleDue.due_date <= overdue_from)


async def due_vehicles(
    ctx: PluginContext[RetentionSettings],
    store_id: uuid.UUID | None,
    window: str,
    due_state: str | None,
    limit: int,
    after: str | None,
) -> Page[DueVehicleOut]:
    """The due list of ``GET /due`` (and the console's retention page)."""
    today, days = local_day(ctx, ctx.now()), window_days(window)
    statement = scoped(ctx, select(VehicleDue), VehicleDue.store_id)
    if await checked_store(ctx, store_id) is not None:
        statement = statement.where(VehicleDue.store_id == store_id)
    grace = ctx.settings.overdue_after_days
    statement = _due_filter(statement, due_state, today, days, grace)
    rows = (await ctx.session.scalars(keyset(statement, VehicleDue.id, after, limit))).all()
    customers = await get_customers(ctx, {r.customer_id for r in rows[:limit]})
    items = []
    for row in rows[:limit]:
        vehicle = await get_vehicle(ctx, row.vehicle_id)
        owner = customer_out(row.customer_id, customers.get(row.customer_id))
        found_state = state_of(row.due_date, today, grace)
        items.append(due_out(row, owner, None if vehicle is None else vehicle.plate, found_state))
    return page_of(rows, limit, items, lambda r: r.id)


class DueController(Controller):
    path = "/due"

    @get("/", opt=READ)
    async def list_due(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        store_id: FromQuery[uuid.UUID | None] = None,
        window: FromQuery[str] = "30d",
        due_state: Annotated[str | None, QueryParameter(name="state")] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[DueVehicleOut]:
        """Vehicles due within ``window`` (or already), with their customer, masked."""
        return await due_vehicles(ctx, store_id, window, due_state, limit, after)


async def task_list(
    ctx: PluginContext,
    store_id: uuid.UUID | None,
    kind: str | None,
    status: str,
    limit: int,
    after: str | None,
) -> Page[RetentionTaskOut]:
    """The task worklist of ``GET /tasks`` (and the console's retention page)."""
    statement = scoped(ctx, select(Task), Task.store_id)
    if await checked_store(ctx, store_id) is not None:
        statement = statement.where(Task.store_id == store_id)
    if kind is not None:
        if kind not in tasks.KINDS:
            raise Unprocessable.field("kind", f"one of {', '.join(tasks.KINDS)}")
        statement = statement.where(Task.kind == kind)
    if status not in STATUSES:
        raise Unprocessable.field("status", f"one of {', '.join(STATUSES)}")
    statement = statement.where(Task.status == status)
    rows = (await ctx.session.scalars(keyset(statement, Task.id, after, limit))).all()
    customers = await get_customers(ctx, {r.customer_id for r in rows[:limit]})
    items = [
        task_out(t, customer_out(t.customer_id, customers.get(t.customer_id))) for t in rows[:limit]
    ]
    return page_of(rows, limit, items, lambda t: t.id)


class TasksController(Controller):
    path = "/tasks"

    @get("/", opt=READ)
    async def list_tasks(
        self,
        ctx: NamedDependency[PluginContext],
        store_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[str | None] = None,
        status: FromQuery[str] = "open",
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[RetentionTaskOut]:
        """The worklist: open tasks by default, of the caller's stores."""
        return await task_list(ctx, store_id, kind, status, limit, after)

    @post("/{task_id:uuid}/outcome", opt=WORK, status_code=200)
    async def record_outcome(
        self,
        ctx: NamedDependency[PluginContext],
        task_id: FromPath[uuid.UUID],
        data: JSONBody[TaskOutcomeIn],
    ) -> RetentionTaskOut:
        """What came of the call; a closed task takes no second outcome."""
        return await conclude(ctx, task_id, data)


async def conclude(ctx: PluginContext, task_id: uuid.UUID, data: TaskOutcomeIn) -> RetentionTaskOut:
    """Record what came of a call, audited (``POST /tasks/{id}/outcome`` and the console's
    one-click outcomes)."""
    task = await tasks.visible_task(ctx, task_id)
    if task.status != "open":
        raise Conflict("this task is closed", code="retention_task_closed")
    next_at = data.next_attempt_at
    if next_at is not None:
        if next_at.tzinfo is None:
            raise Unprocessable.field("next_attempt_at", "needs a time zone")
        next_at = checked_instant(next_at, "next_attempt_at")
        if data.outcome != "no_answer":
            raise Unprocessable.field("next_attempt_at", "only with outcome no_answer")
    await tasks.record_outcome(ctx, task, data.outcome, data.note, next_at)
    await ctx.audit(
        "retention.task_outcome",
        resource="retention_task",
        resource_id=task.id,
        detail={"kind": task.kind, "outcome": data.outcome},
    )
    customers = await get_customers(ctx, [task.customer_id])
    return task_out(task, customer_out(task.customer_id, customers.get(task.customer_id)))


class SurveysController(Controller):
    path = "/surveys"

    @get("/", opt=READ)
    async def list_surveys(
        self,
        ctx: NamedDependency[PluginContext],
        store_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[str] = "pending",
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[FollowUpSurveyOut]:
        """Surveys waiting for the customer's answer (``pending``) or ``answered``."""
        statement = scoped(ctx, select(Survey), Survey.store_id)
        if await checked_store(ctx, store_id) is not None:
            statement = statement.where(Survey.store_id == store_id)
        if status not in ("pending", "answered"):
            raise Unprocessable.field("status", "one of ['pending', 'answered']")
        answered = Survey.answered_at.is_not(None)
        statement = statement.where(answered if status == "answered" else ~answered)
        rows = (await ctx.session.scalars(keyset(statement, Survey.id, after, limit))).all()
        return page_of(rows, limit, [survey_out(s) for s in rows[:limit]], lambda s: s.id)

    @post("/{survey_id:uuid}", opt=WORK, status_code=200)
    async def answer(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        survey_id: FromPath[uuid.UUID],
        data: JSONBody[SurveyAnswerIn],
    ) -> FollowUpSurveyOut:
        """The customer's scores, entered by staff; a low one opens a callback."""
        statement = scoped(ctx, select(Survey).where(Survey.id == survey_id), Survey.store_id)
        survey = (await ctx.session.scalars(statement)).one_or_none()
        if survey is None:
            raise NotFound("no such survey", code="retention_survey_not_found")
        if data.csi is None and data.nps is None:
            raise Unprocessable.field("csi", "give csi, nps or both")
        callback = await follow_ups.answer(ctx, survey, data.csi, data.nps, data.comment)
        await ctx.audit(
            "retention.survey_answered",
            resource="retention_survey",
            resource_id=survey.id,
            detail={"csi": data.csi, "nps": data.nps, "low": survey.low},
        )
        return survey_out(survey, None if callback is None else callback.id)


def survey_out(survey: Survey, callback_id: uuid.UUID | None = None) -> FollowUpSurveyOut:
    return FollowUpSurveyOut(
        survey.id,
        survey.order_id,
        survey.customer_id,
        survey.store_id,
        survey.csi,
        survey.nps,
        free_text(survey.comment),
        survey.low,
        survey.answered_at,
        callback_id,
    )


class RecomputeController(Controller):
    path = "/recompute"

    @post("/", opt=MANAGE, status_code=202)
    async def recompute(self, ctx: NamedDependency[PluginContext]) -> dict[str, Any]:
        """Run the nightly recompute now (after a change of the rules), on a worker."""
        ctx.defer("recompute", at=ctx.now())
        await ctx.audit(
            "retention.recompute_requested", resource="schedule", resource_id=ctx.tenant_id
        )
        return {"queued": True}
