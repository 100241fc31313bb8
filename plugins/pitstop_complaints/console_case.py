"""One complaint at the console (``/console/complaints/{id}``): its clocks, its history,
and the work on it — status, the customer's reply, reassignment, resolution, closing,
reopening.

Each form is the twin of an API route and calls the same ``workflow`` function with the
API's own request shape (``StatusChange``, ``NoteBody``, ``Assign``, ``Resolve``), so the
transitions, the clocks, the activity timeline (the complaint's audit trail), the events
and the customer updates are the API's. The same rules: ``complaints:write`` for the work,
``complaints:assign`` to reassign, another store's or tenant's complaint the 404 page. A
refused form names its field; an illegal move is the page again with the reason (409).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from pitstop.sdk import ApiError, ConsolePage, PluginContext, list_staff

from . import workflow
from .console import worklist_row
from .models import Complaint, ComplaintActivity
from .schemas import Assign, NoteBody, Resolve, StatusChange, activity_out, complaint_out

Action = Callable[[PluginContext, Complaint, Any], Awaitable[None]]
ACTIONS: dict[str, tuple[type, Action]] = {
    "status": (StatusChange, lambda ctx, c, d: workflow.work_status(ctx, c, d.status, d.note)),
    "reply": (NoteBody, lambda ctx, c, d: workflow.reply(ctx, c, d.note)),
    "resolve": (
        Resolve,
        lambda ctx, c, d: workflow.resolve(ctx, c, d.resolution, d.first_contact),
    ),
    "close": (NoteBody, lambda ctx, c, d: workflow.close(ctx, c, d.note)),
    "reopen": (NoteBody, lambda ctx, c, d: workflow.reopen(ctx, c, d.note)),
}
"""The work a ``complaints:write`` holder does, by form: (request shape, workflow step)."""
WRITE, ASSIGN = {"permission": "complaints:write"}, {"permission": "complaints:assign"}
_MISSING = re.compile(r"Object missing required field `(\w+)`")
_AT = re.compile(r"^(.*) - at `\$\.(\w+)")


def form_values(form: Any, shape: type) -> dict[str, Any]:
    """The form's fields the shape takes; a blank one is left out (the shape's default, or
    "is required" beside it); a ticked box is true."""
    names = [f.name for f in msgspec.structs.fields(shape)]
    fields = {name: str(form.get(name, "")).strip() for name in names}
    values: dict[str, Any] = {k: v for k, v in fields.items() if v}
    if "first_contact" in fields:
        values["first_contact"] = bool(fields["first_contact"])
    return values


def decoded(form: Any, shape: type) -> Any:
    """The API's request shape from the form; :class:`FormRefused` names a bad field."""
    try:
        return msgspec.convert(form_values(form, shape), shape, strict=False)
    except msgspec.ValidationError as exc:
        missing, at = _MISSING.match(str(exc)), _AT.match(str(exc))
        if missing:
            raise FormRefused({missing.group(1): "is required"}) from None
        if at:  # the rule only (a pattern, a length), never the value typed
            raise FormRefused({at.group(2): at.group(1)}) from None
        raise FormRefused({"form": str(exc)}) from None


class FormRefused(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class ComplaintCase(Controller):
    path = "/"

    @get("/{complaint_id:uuid}", opt={"permission": "complaints:read"})
    async def case(
        self,
        ctx: NamedDependency[PluginContext],
        page: NamedDependency[ConsolePage],
        complaint_id: FromPath[uuid.UUID],
    ) -> Any:
        complaint = await workflow.visible(ctx, complaint_id)
        return await _case_page(ctx, page, complaint)

    @post("/{complaint_id:uuid}/assign", opt=ASSIGN)
    async def assign(
        self,
        ctx: NamedDependency[PluginContext],
        page: NamedDependency[ConsolePage],
        complaint_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
    ) -> Any:
        """As ``POST /api/v1/complaints/{id}/assign``: someone active at its store."""
        complaint = await workflow.visible(ctx, complaint_id)
        form = await request.form()
        return await _act(ctx, page, complaint, "assign", form, Assign, _reassign)

    @post("/{complaint_id:uuid}/{action:str}", opt=WRITE)
    async def act(
        self,
        ctx: NamedDependency[PluginContext],
        page: NamedDependency[ConsolePage],
        complaint_id: FromPath[uuid.UUID],
        action: FromPath[str],
        request: Request[Any, Any, Any],
    ) -> Any:
        """One of :data:`ACTIONS`, as its API route does it."""
        complaint = await workflow.visible(ctx, complaint_id)
        if action not in ACTIONS:
            return await _case_page(ctx, page, complaint, {"form": "no such action"}, status=404)
        shape, step = ACTIONS[action]
        return await _act(ctx, page, complaint, action, await request.form(), shape, step)


async def _reassign(ctx: PluginContext, complaint: Complaint, data: Any) -> None:
    await workflow.assign(ctx, complaint, data.staff_id, data.note)


async def _act(
    ctx: PluginContext,
    page: ConsolePage,
    complaint: Complaint,
    action: str,
    form: Any,
    shape: type,
    step: Action,
) -> Any:
    """Decode, do the step in a savepoint (a refused step leaves nothing), back to the case."""
    try:
        data = decoded(form, shape)
        async with ctx.session.begin_nested():
            await step(ctx, complaint, data)
    except FormRefused as refused:
        errors = {f"{action}.{k}": v for k, v in refused.errors.items()}
        return await _case_page(ctx, page, complaint, errors, status=422)
    except ApiError as exc:
        await ctx.session.refresh(complaint)
        field = exc.errors[0].get("field", "form") if exc.errors else "form"
        message = exc.errors[0].get("message", exc.detail) if exc.errors else exc.detail
        return await _case_page(ctx, page, complaint, {f"{action}.{field}": message},
                                status=exc.status)  # fmt: skip
    return Redirect(f"/console/complaints/{complaint.id}", status_code=303)


async def _case_page(
    ctx: PluginContext,
    page: ConsolePage,
    complaint: Complaint,
    errors: dict[str, str] | None = None,
    *,
    status: int = 200,
) -> Any:
    history = await ctx.session.scalars(
        select(ComplaintActivity)
        .where(ComplaintActivity.complaint_id == complaint.id)
        .order_by(ComplaintActivity.at, ComplaintActivity.id)
    )
    principal = ctx.principal
    can_assign = principal is not None and principal.can("complaints:assign")
    everyone = {s.id: s for s in await list_staff(ctx)}
    choices = [s for s in everyone.values() if s.works_at(complaint.store_id)] if can_assign else []
    assignee = everyone.get(complaint.assignee_id) if complaint.assignee_id else None
    return page(
        "case.html", status=status,
        complaint=complaint_out(complaint), row=worklist_row(complaint, ctx.now()),
        history=[activity_out(a) for a in history.all()],
        moves=sorted(workflow.TRANSITIONS[complaint.status]),
        can_write=principal is not None and principal.can("complaints:write"),
        staff=[{"id": s.id, "role": s.role, "name": s.name} for s in choices],
        assignee={"role": assignee.role, "name": assignee.name} if assignee else None,
        errors=errors or {},
    )  # fmt: skip
