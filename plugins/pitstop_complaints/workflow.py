"""The complaint's life: every transition checked against one table, every one recorded.

``new`` -> ``acknowledged`` (the first response) -> ``investigating`` ->
``awaiting_customer`` (both clocks paused; any customer reply or status change resumes
them) -> ``resolved`` -> follow-up survey -> ``closed``. An unsatisfied survey, or an
explicit reopen, sends the complaint back to ``investigating`` with a fresh resolution
clock and the reopen counted. An illegal step is a 409 that names both states.
"""

from __future__ import annotations

import uuid

from pitstop.sdk import Conflict, NotFound, PluginContext, Unprocessable, list_staff
from pitstop_complaints.events import RESOLVED, ComplaintResolved

from .clocks import calendar_of, pause, restart_resolution, resume
from .models import Complaint, ComplaintActivity
from .notify import notify
from .routing import staff_ids
from .settings import ComplaintSettings
from .sla import lock, schedule_timers

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"acknowledged", "resolved"}),
    "acknowledged": frozenset({"investigating", "awaiting_customer", "resolved"}),
    "investigating": frozenset({"awaiting_customer", "resolved"}),
    "awaiting_customer": frozenset({"investigating", "resolved"}),
    "resolved": frozenset({"closed", "investigating"}),
    "closed": frozenset({"investigating"}),
}


async def visible(ctx: PluginContext, complaint_id: uuid.UUID) -> Complaint:
    """The complaint, locked for change; 404 for another tenant's or another store's."""
    complaint = await lock(ctx, complaint_id)
    principal = ctx.principal
    if complaint is None or (
        principal is not None and not principal.sees_store(complaint.store_id)
    ):
        raise NotFound("no such complaint", code="complaint_not_found")
    return complaint


def illegal(complaint: Complaint, target: str, message: str) -> Conflict:
    """The 409 of a move the complaint's status does not allow, listing those it does."""
    return Conflict(
        message,
        code="illegal_transition",
        from_status=complaint.status,
        to_status=target,
        allowed=sorted(TRANSITIONS[complaint.status]),
    )


def check(complaint: Complaint, target: str) -> None:
    if target not in TRANSITIONS[complaint.status]:
        raise illegal(
            complaint, target, f"a complaint cannot go from {complaint.status} to {target}"
        )


def _record(ctx: PluginContext, complaint: Complaint, kind: str, **fields: object) -> None:
    actor = ctx.principal.actor_id if ctx.principal is not None else None
    ctx.session.add(
        ComplaintActivity(
            complaint_id=complaint.id, kind=kind, actor_id=actor, at=ctx.now(), **fields
        )
    )


async def move(ctx: PluginContext, complaint: Complaint, target: str, note: str | None) -> None:
    """The one way a status changes: check, resume/pause the clocks, record, re-arm timers."""
    check(complaint, target)
    now, before = ctx.now(), complaint.status
    calendar = await calendar_of(ctx, complaint.store_id, complaint.calendar)
    resumed = resume(complaint, calendar, now) if before == "awaiting_customer" else None
    if target == "awaiting_customer":
        pause(complaint, now)
    if target in ("acknowledged", "resolved") and complaint.response_met_at is None:
        complaint.response_met_at = now
    complaint.status, complaint.updated_at = target, now
    _record(ctx, complaint, "transition", from_status=before, to_status=target, note=note)
    await ctx.session.flush()
    await _tell_customer(ctx, complaint, target)
    if resumed is not None:
        schedule_timers(ctx, complaint)


CUSTOMER_UPDATES = {
    "acknowledged": "complaint_acknowledged",
    "resolved": "complaint_resolved",
}
"""The transitions the customer hears of (a service message, under the tenant's rules);
the wording is a template the tenant may reword, and it names no resolution text."""


async def _tell_customer(ctx: PluginContext, complaint: Complaint, target: str) -> None:
    template = CUSTOMER_UPDATES.get(target)
    if template is None:
        return
    await ctx.notify(
        customer_id=complaint.customer_id,
        purpose="service",
        template=template,
        store_id=complaint.store_id,
        dedupe_key=f"{template}:{complaint.id}:{complaint.reopen_count}",
    )


async def reply(ctx: PluginContext, complaint: Complaint, note: str | None) -> None:
    """A customer's reply is recorded; when we were waiting for it, work resumes."""
    _record(ctx, complaint, "reply", note=note)
    if complaint.status == "awaiting_customer":
        await move(ctx, complaint, "investigating", None)
    await ctx.session.flush()


async def resolve(ctx: PluginContext, complaint: Complaint, text: str, first_contact: bool) -> None:
    await move(ctx, complaint, "resolved", text)
    complaint.resolution_met_at = ctx.now()
    complaint.resolution, complaint.first_contact = text.strip(), first_contact
    complaint.escalation_next_at = None
    await ctx.session.flush()
    await ctx.emit(
        RESOLVED.name,
        ComplaintResolved(
            complaint_id=complaint.id,
            store_id=complaint.store_id,
            severity=complaint.severity,
            first_contact=first_contact,
            response_breached=complaint.response_breached_at is not None,
            resolution_breached=complaint.resolution_breached_at is not None,
            reopen_count=complaint.reopen_count,
        ),
    )


async def work_status(
    ctx: PluginContext, complaint: Complaint, status: str, note: str | None
) -> None:
    """``investigating`` or ``awaiting_customer`` while the work is open; a resolved or
    closed complaint goes back to work only by :func:`reopen` (its fresh clock, its alert)."""
    if complaint.status in ("resolved", "closed"):
        message = f"a {complaint.status} complaint goes back to work only by reopen"
        raise illegal(complaint, status, message)
    await move(ctx, complaint, status, note)


async def reopen(ctx: PluginContext, complaint: Complaint, note: str | None) -> None:
    """Back to work with a fresh resolution clock; the store manager is alerted."""
    if complaint.status not in ("resolved", "closed"):
        message = f"only a resolved or closed complaint can be reopened, not {complaint.status}"
        raise illegal(complaint, "investigating", message)
    await move(ctx, complaint, "investigating", note)
    complaint.reopen_count += 1
    complaint.closed_at = None
    calendar = await calendar_of(ctx, complaint.store_id, complaint.calendar)
    restart_resolution(complaint, calendar, ctx.now())
    await ctx.session.flush()
    managers = await staff_ids(ctx, "store_manager", complaint.store_id)
    await notify(ctx, complaint, managers, f"reopened.{complaint.reopen_count}")
    schedule_timers(ctx, complaint)


async def survey(
    ctx: PluginContext[ComplaintSettings],
    complaint: Complaint,
    satisfaction: int,
    resolved: bool,
    note: str | None,
) -> None:
    """The follow-up: satisfied closes the loop, anything else reopens the complaint."""
    if complaint.status != "resolved":
        message = f"a follow-up survey needs a resolved complaint, not {complaint.status}"
        raise illegal(complaint, "closed", message)
    settings = ctx.settings
    complaint.satisfaction, complaint.survey_resolved = satisfaction, resolved
    complaint.surveyed_at = ctx.now()
    _record(ctx, complaint, "survey", note=f"satisfaction={satisfaction} resolved={resolved}")
    if resolved and satisfaction >= settings.reopen_below:
        await close(ctx, complaint, note)
    else:
        await reopen(ctx, complaint, note or "unsatisfied follow-up")


async def close(ctx: PluginContext, complaint: Complaint, note: str | None) -> None:
    await move(ctx, complaint, "closed", note)
    complaint.closed_at = ctx.now()
    await ctx.session.flush()


async def assign(
    ctx: PluginContext, complaint: Complaint, staff_id: uuid.UUID, note: str | None
) -> None:
    """Reassign to someone active at the complaint's store; the change is recorded."""
    eligible = {s.id for s in await list_staff(ctx, store_id=complaint.store_id)}
    if staff_id not in eligible:
        raise Unprocessable.field(
            "staff_id", "no such active staff member at this store", code="unknown_staff"
        )
    before = complaint.assignee_id
    complaint.assignee_id, complaint.updated_at = staff_id, ctx.now()
    _record(
        ctx, complaint, "assignment", from_assignee_id=before, to_assignee_id=staff_id, note=note
    )
    await ctx.session.flush()
    await notify(ctx, complaint, [staff_id], f"assigned.{complaint.revision}")
