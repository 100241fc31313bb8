"""After a service: the follow-up schedule (by default a survey message on day 1, a call
on day 7, a care message on day 30) and the survey's answer.

Each step is a row made when the order completes and a task deferred to its instant; the
task re-reads the row and acts once (a late or repeated message finds it done), and the
nightly run sweeps steps whose message was lost. A low score opens a callback due within
the store's business hours and asks for a complaint (``complaint.requested``, once per
survey: the survey is answered once).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from pitstop.sdk import Conflict, PluginContext, get_store

from .events import COMPLAINT_REQUESTED, ComplaintRequested, ComplaintSource
from .models import FollowUp, Survey, Task
from .settings import RetentionSettings
from .tasks import callback_due, open_task

TEMPLATES = {"survey": "follow_up_survey", "message": "follow_up_care"}


async def schedule(
    ctx: PluginContext[RetentionSettings],
    order_id: uuid.UUID,
    customer_id: uuid.UUID,
    store_id: uuid.UUID,
    completed_at: dt.datetime,
) -> Survey | None:
    """The order's survey and steps, once per order; each step's task deferred."""
    exists = await ctx.session.scalars(select(Survey).where(Survey.order_id == order_id))
    if exists.one_or_none() is not None:
        return None
    survey = Survey(
        order_id=order_id, customer_id=customer_id, store_id=store_id, created_at=ctx.now()
    )
    ctx.session.add(survey)
    for step in ctx.settings.follow_up:
        due_at = completed_at + dt.timedelta(days=step.day)
        ctx.session.add(
            FollowUp(
                order_id=order_id,
                customer_id=customer_id,
                store_id=store_id,
                day=step.day,
                action=step.action,
                due_at=due_at,
            )
        )
        ctx.defer("follow_up", at=due_at, order_id=str(order_id), day=step.day)
    await ctx.session.flush()
    return survey


async def run_step(ctx: PluginContext[RetentionSettings], *, order_id: str, day: int) -> None:
    """The deferred task: one step, if it is still to do."""
    step = (
        await ctx.session.scalars(
            select(FollowUp).where(FollowUp.order_id == uuid.UUID(order_id), FollowUp.day == day)
        )
    ).one_or_none()
    if step is not None and step.done_at is None:
        await _do(ctx, step)


async def sweep(ctx: PluginContext[RetentionSettings]) -> int:
    """Steps due and not done (their message was lost): done now."""
    due = await ctx.session.scalars(
        select(FollowUp).where(FollowUp.done_at.is_(None), FollowUp.due_at <= ctx.now())
    )
    steps = list(due.all())
    for step in steps:
        await _do(ctx, step)
    return len(steps)


async def _do(ctx: PluginContext[RetentionSettings], step: FollowUp) -> None:
    step.done_at = ctx.now()
    if step.action == "call":
        survey = (
            await ctx.session.scalars(select(Survey).where(Survey.order_id == step.order_id))
        ).one_or_none()
        await open_task(
            ctx,
            Task(
                kind="follow_up",
                dedupe_key=f"follow_up:{step.order_id}:{step.day}",
                customer_id=step.customer_id,
                store_id=step.store_id,
                order_id=step.order_id,
                survey_id=None if survey is None else survey.id,
                due_at=ctx.now() + dt.timedelta(days=1),
            ),
        )
        return
    store = await get_store(ctx, step.store_id)
    data = {"store_name": "门店" if store is None else store.name}
    if step.action == "survey":
        survey = (
            await ctx.session.scalars(select(Survey).where(Survey.order_id == step.order_id))
        ).one_or_none()
        if survey is not None:
            data["link"] = survey_link(ctx, survey.id)
    await ctx.notify(
        customer_id=step.customer_id,
        purpose="service",
        template=TEMPLATES[step.action],
        data=data,
        store_id=step.store_id,
        dedupe_key=f"follow_up:{step.order_id}:{step.day}",
    )


LINK_DAYS = 30


def survey_link(ctx: PluginContext, survey_id: uuid.UUID) -> str:
    """The customer's own survey page (``survey_page``), signed for this survey only."""
    token = ctx.signed_link("survey", survey_id, valid_for=dt.timedelta(days=LINK_DAYS))
    return f"/api/v1/retention/r/{token}"


def is_low(settings: RetentionSettings, csi: int | None, nps: int | None) -> bool:
    low = settings.low_score
    return (csi is not None and csi <= low.csi_at_most) or (
        nps is not None and nps <= low.nps_at_most
    )


async def answer(
    ctx: PluginContext[RetentionSettings],
    survey: Survey,
    csi: int | None,
    nps: int | None,
    comment: str | None,
) -> Task | None:
    """Record the answer (once); a low one opens the callback and asks for a complaint."""
    if survey.answered_at is not None:
        raise Conflict("this survey was answered already", code="survey_answered")
    survey.csi, survey.nps, survey.comment = csi, nps, comment
    survey.answered_at, survey.low = ctx.now(), is_low(ctx.settings, csi, nps)
    if not survey.low:
        return None
    callback = await open_task(
        ctx,
        Task(
            kind="callback",
            dedupe_key=f"callback:{survey.id}",
            customer_id=survey.customer_id,
            store_id=survey.store_id,
            order_id=survey.order_id,
            survey_id=survey.id,
            due_at=await callback_due(ctx, survey.store_id),
        ),
    )
    await ctx.emit(
        COMPLAINT_REQUESTED.name,
        ComplaintRequested(
            request_id=survey.id,
            customer_id=survey.customer_id,
            store_id=survey.store_id,
            severity="A" if (csi is not None and csi <= 1) else "B",
            category="service_quality",
            source=ComplaintSource(plugin="retention", type="survey", id=str(survey.id)),
        ),
    )
    return callback
