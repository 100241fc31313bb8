"""HTTP API of complaints, mounted at ``/api/v1/complaints``.

Store scope is enforced in two places that cannot disagree: lists filter by the caller's
stores in SQL, and a single complaint of another store is a 404 exactly like another
tenant's. Every write takes the complaint with :func:`~.sla.lock`, so a request and a
timer never act on the same row state.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from pitstop.sdk import (
    Limit,
    NotFound,
    Page,
    PluginContext,
    Unprocessable,
    checked_instant,
    get_store,
    keyset,
    page_of,
)

from . import workflow
from .intake import log_complaint
from .kpis import kpis
from .models import Complaint, ComplaintActivity, ComplaintNotification
from .schemas import (
    ActivityOut,
    Assign,
    ComplaintCreate,
    ComplaintOut,
    NoteBody,
    NotificationOut,
    Resolve,
    StatusChange,
    Survey,
    activity_out,
    complaint_out,
    notification_out,
)

READ, WRITE = {"permission": "complaints:read"}, {"permission": "complaints:write"}
ASSIGN, KPIS = {"permission": "complaints:assign"}, {"permission": "complaints:kpis"}
KPI_WINDOW = dt.timedelta(days=30)


def _scoped(ctx: PluginContext, statement: Any) -> Any:
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        return statement.where(Complaint.store_id.in_(principal.store_ids))
    return statement


async def _read(ctx: PluginContext, complaint_id: uuid.UUID) -> Complaint:
    """Without a lock: reads never write (the lock bumps the revision)."""
    found = (
        await ctx.session.scalars(
            _scoped(ctx, select(Complaint).where(Complaint.id == complaint_id))
        )
    ).one_or_none()
    if found is None:
        raise NotFound("no such complaint", code="complaint_not_found")
    return found


class ComplaintsController(Controller):
    path = "/"

    @post("/", status_code=201, opt=WRITE)
    async def log(
        self, ctx: NamedDependency[PluginContext], data: JSONBody[ComplaintCreate]
    ) -> ComplaintOut:
        """Log a complaint: targets fixed from the tenant's policy, routed, timers armed."""
        return complaint_out(await log_complaint(ctx, data))

    @get("/", opt=READ)
    async def list_complaints(
        self,
        ctx: NamedDependency[PluginContext],
        status: FromQuery[str | None] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        severity: FromQuery[str | None] = None,
        mine: FromQuery[bool] = False,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[ComplaintOut]:
        statement = _scoped(ctx, select(Complaint))
        for column, value in (
            (Complaint.status, status),
            (Complaint.store_id, store_id),
            (Complaint.customer_id, customer_id),
            (Complaint.severity, severity),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if mine and ctx.principal is not None:
            statement = statement.where(Complaint.assignee_id == ctx.principal.actor_id)
        rows = (await ctx.session.scalars(keyset(statement, Complaint.id, after, limit))).all()
        return page_of(rows, limit, [complaint_out(c) for c in rows], lambda c: c.id)

    @get("/{complaint_id:uuid}", opt=READ)
    async def show(
        self, ctx: NamedDependency[PluginContext], complaint_id: FromPath[uuid.UUID]
    ) -> ComplaintOut:
        return complaint_out(await _read(ctx, complaint_id))

    @get("/{complaint_id:uuid}/activities", opt=READ)
    async def activities(
        self, ctx: NamedDependency[PluginContext], complaint_id: FromPath[uuid.UUID]
    ) -> list[ActivityOut]:
        """The history: transitions, reassignments, replies and surveys, oldest first."""
        await _read(ctx, complaint_id)
        rows = await ctx.session.scalars(
            select(ComplaintActivity)
            .where(ComplaintActivity.complaint_id == complaint_id)
            .order_by(ComplaintActivity.at, ComplaintActivity.id)
        )
        return [activity_out(a) for a in rows.all()]

    @post("/{complaint_id:uuid}/acknowledge", status_code=200, opt=WRITE)
    async def acknowledge(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[NoteBody],
    ) -> ComplaintOut:
        """The first response: stops the first-response clock."""
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.move(ctx, complaint, "acknowledged", data.note)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/status", status_code=200, opt=WRITE)
    async def change_status(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[StatusChange],
    ) -> ComplaintOut:
        """``investigating`` or ``awaiting_customer`` (which pauses both clocks)."""
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.work_status(ctx, complaint, data.status, data.note)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/reply", status_code=200, opt=WRITE)
    async def customer_reply(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[NoteBody],
    ) -> ComplaintOut:
        """Record the customer's reply; a paused complaint resumes."""
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.reply(ctx, complaint, data.note)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/assign", status_code=200, opt=ASSIGN)
    async def reassign(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[Assign],
    ) -> ComplaintOut:
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.assign(ctx, complaint, data.staff_id, data.note)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/resolve", status_code=200, opt=WRITE)
    async def resolve(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[Resolve],
    ) -> ComplaintOut:
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.resolve(ctx, complaint, data.resolution, data.first_contact)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/survey", status_code=200, opt=WRITE)
    async def follow_up(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[Survey],
    ) -> ComplaintOut:
        """Satisfied closes the complaint; unsatisfied reopens it and alerts the manager."""
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.survey(ctx, complaint, data.satisfaction, data.resolved, data.note)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/close", status_code=200, opt=WRITE)
    async def close(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[NoteBody],
    ) -> ComplaintOut:
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.close(ctx, complaint, data.note)
        return complaint_out(complaint)

    @post("/{complaint_id:uuid}/reopen", status_code=200, opt=WRITE)
    async def reopen(
        self,
        ctx: NamedDependency[PluginContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[NoteBody],
    ) -> ComplaintOut:
        complaint = await workflow.visible(ctx, complaint_id)
        await workflow.reopen(ctx, complaint, data.note)
        return complaint_out(complaint)


class NotificationsController(Controller):
    path = "/notifications"

    @get("/", opt=READ)
    async def list_notifications(
        self,
        ctx: NamedDependency[PluginContext],
        mine: FromQuery[bool] = False,
        complaint_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[NotificationOut]:
        """``mine=1``: the caller's inbox, only what is due (business hours respected)."""
        statement = select(ComplaintNotification).join(
            Complaint, Complaint.id == ComplaintNotification.complaint_id
        )
        statement = _scoped(ctx, statement)
        if mine and ctx.principal is not None:
            statement = statement.where(
                ComplaintNotification.recipient_id == ctx.principal.actor_id,
                ComplaintNotification.deliver_at <= ctx.now(),
            )
        if complaint_id is not None:
            statement = statement.where(ComplaintNotification.complaint_id == complaint_id)
        page = keyset(statement, ComplaintNotification.id, after, limit)
        rows = (await ctx.session.scalars(page)).all()
        return page_of(rows, limit, [notification_out(n) for n in rows], lambda n: n.id)

    @post("/{notification_id:uuid}/read", status_code=200, opt=READ)
    async def mark_read(
        self, ctx: NamedDependency[PluginContext], notification_id: FromPath[uuid.UUID]
    ) -> NotificationOut:
        """Only the recipient marks a notification read."""
        actor = ctx.principal.actor_id if ctx.principal is not None else None
        found = (
            await ctx.session.scalars(
                select(ComplaintNotification).where(
                    ComplaintNotification.id == notification_id,
                    ComplaintNotification.recipient_id == actor,
                )
            )
        ).one_or_none()
        if found is None:
            raise NotFound("no such notification of yours", code="notification_not_found")
        found.read_at = found.read_at or ctx.now()
        await ctx.session.flush()
        return notification_out(found)


class KpisController(Controller):
    path = "/kpis"

    @get("/", opt=KPIS)
    async def report(
        self,
        ctx: NamedDependency[PluginContext],
        start: Annotated[dt.datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.datetime | None, QueryParameter(name="to")] = None,
        store: FromQuery[uuid.UUID | None] = None,
    ) -> dict[str, Any]:
        """Complaints logged in [from, to) (default: the last 30 days)."""
        end = _aware(end, "to") or ctx.now()
        start = _aware(start, "from") or end - KPI_WINDOW
        if start >= end:
            raise Unprocessable.field("from", "must be before to")
        if store is not None and (
            await get_store(ctx, store) is None
            or (ctx.principal is not None and not ctx.principal.sees_store(store))
        ):
            raise NotFound("no such store of yours", code="store_not_found")
        return await kpis(ctx, start, end, store)


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Unprocessable.field(field, "needs a time zone, e.g. 2026-11-01T00:00:00+08:00")
    return checked_instant(value, field)
