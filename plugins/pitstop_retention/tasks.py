"""The worklist: recall calls for dormant customers, follow-up calls after a service,
callbacks for unhappy answers — each opened once (``dedupe_key``), at the customer's last
store, given to one of its service advisors, and closed by an outcome staff record.

An outcome is also a line of the core's contact log (``log_contact``); ``do_not_contact``
withdraws the customer's marketing consent on every medium. ``no_answer`` keeps the task
open for another attempt (``next_attempt_at``, by default the next day).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import (
    NotFound,
    PluginContext,
    RewardRequested,
    RewardSource,
    get_store,
    list_staff,
    log_contact,
    new_id,
    parse_duration,
    withdraw_marketing_consent,
)

from .models import Task
from .settings import RetentionSettings

KINDS = ("recall", "follow_up", "callback")
CLOSING = {
    "reached": "reached", "booked": "reached", "declined": "declined",
    "do_not_contact": "declined", "wrong_number": "wrong_number",
}  # fmt: skip
"""Outcome -> what the contact log records; these close the task."""
OUTCOMES = (*CLOSING, "no_answer")


async def _advisor(
    ctx: PluginContext, store_id: uuid.UUID | None, customer_id: uuid.UUID
) -> uuid.UUID | None:
    """One of the store's service advisors, the same one for the same customer."""
    if store_id is None:
        return None
    advisors = await list_staff(ctx, role="service_advisor", store_id=store_id)
    return advisors[customer_id.int % len(advisors)].id if advisors else None


async def open_task(ctx: PluginContext, task: Task) -> Task | None:
    """Add the task unless one with its ``dedupe_key`` exists; None when it did."""
    found = await ctx.session.scalars(select(Task).where(Task.dedupe_key == task.dedupe_key))
    if found.one_or_none() is not None:
        return None
    task.assignee_id = await _advisor(ctx, task.store_id, task.customer_id)
    task.created_at = ctx.now()
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(task)
            await ctx.session.flush()
    except IntegrityError:
        return None
    return task


@dataclass(frozen=True, slots=True)
class Recall:
    """A customer gone dormant tonight, to be called from their last store."""

    customer_id: uuid.UUID
    store_id: uuid.UUID | None
    since: dt.datetime


async def open_recalls(ctx: PluginContext[RetentionSettings], recalls: Sequence[Recall]) -> int:
    """Recall tasks for customers gone dormant, with the tenant's offer asked of membership;
    returns how many were opened.

    The first night over an old book makes many customers dormant at once: the advisors are
    read once and the tasks written in one ``INSERT … ON CONFLICT DO NOTHING`` (a recall
    already opened - a repeated run, a concurrent one - is left alone), where a task at a
    time cost a look-up, the staff list and a savepoint each."""
    if not recalls:
        return 0
    advisors = await list_staff(ctx, role="service_advisor")
    now, offer = ctx.now(), ctx.settings.recall_offer
    rows = []
    for recall in recalls:
        mine = [a for a in advisors if recall.store_id and a.works_at(recall.store_id)]
        rows.append(
            {
                "tenant_id": ctx.tenant_id,
                "id": new_id(),
                "kind": "recall",
                "status": "open",
                "dedupe_key": f"recall:{recall.customer_id}:{recall.since.date().isoformat()}",
                "customer_id": recall.customer_id,
                "store_id": recall.store_id,
                "assignee_id": mine[recall.customer_id.int % len(mine)].id if mine else None,
                "reward_id": new_id() if offer else None,
                "due_at": now + dt.timedelta(days=7),
                "created_at": now,
            }
        )
    insert = postgresql_insert if ctx.session.dialect == "postgresql" else sqlite_insert
    statement = insert(cast(Table, Task.__table__)).on_conflict_do_nothing(
        index_elements=["tenant_id", "dedupe_key"]
    )
    opened = await ctx.session.execute(
        statement.returning(Task.id, Task.customer_id, Task.reward_id), rows
    )
    made = 0
    for task_id, customer_id, reward_id in opened.all():
        made += 1
        if offer and reward_id is not None:
            await ctx.emit("reward.requested", _offer(offer, task_id, customer_id, reward_id))
    return made


def _offer(
    offer: str, task_id: uuid.UUID, customer_id: uuid.UUID, reward_id: uuid.UUID
) -> RewardRequested:
    return RewardRequested(
        reward_id=reward_id,
        customer_id=customer_id,
        kind="voucher",
        voucher_template=offer,
        reason="沉睡客户召回",
        source=RewardSource(plugin="retention", type="recall", id=str(task_id)),
    )


async def callback_due(ctx: PluginContext[RetentionSettings], store_id: uuid.UUID) -> dt.datetime:
    """``callback_within`` business hours of the store from now."""
    store = await get_store(ctx, store_id)
    duration = parse_duration(ctx.settings.low_score.callback_within)
    if store is None:
        return ctx.now() + dt.timedelta(hours=24)
    return store.calendar().add(ctx.now(), duration)


async def record_outcome(
    ctx: PluginContext,
    task: Task,
    outcome: str,
    note: str | None,
    next_attempt_at: dt.datetime | None,
) -> Task:
    """Close (or, on no answer, keep open) the task and log the contact."""
    now = ctx.now()
    task.attempts += 1
    task.first_contact_at = task.first_contact_at or now
    task.outcome, task.note = outcome, note
    await log_contact(
        ctx,
        task.customer_id,
        channel="phone",
        outcome=CLOSING.get(outcome, "no_answer"),
        note=note,
        store_id=task.store_id,
    )
    if outcome == "no_answer":
        task.next_attempt_at = next_attempt_at or now + dt.timedelta(days=1)
    else:
        task.status, task.closed_at, task.next_attempt_at = "done", now, None
    if outcome == "do_not_contact":
        await withdraw_marketing_consent(ctx, task.customer_id, source="phone")
    return task


async def visible_task(ctx: PluginContext, task_id: uuid.UUID) -> Task:
    """The task, if the caller may see it: another tenant's or store's is not found."""
    statement = select(Task).where(Task.id == task_id)
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        statement = statement.where(Task.store_id.in_(principal.store_ids))
    found = (await ctx.session.scalars(statement)).one_or_none()
    if found is None:
        raise NotFound("no such retention task", code="retention_task_not_found")
    return found


async def won_back(
    ctx: PluginContext[RetentionSettings], customer_id: uuid.UUID, at: dt.datetime
) -> None:
    """A visit wins back the customer's recalls opened in the conversion window."""
    since = at - dt.timedelta(days=ctx.settings.conversion_days)
    recalls = await ctx.session.scalars(
        select(Task).where(
            Task.customer_id == customer_id,
            Task.kind == "recall",
            Task.won_back_at.is_(None),
            Task.created_at >= since,
        )
    )
    for task in recalls.all():
        task.won_back_at = at
        if task.status == "open":
            task.status, task.outcome, task.closed_at = "done", "booked", at
