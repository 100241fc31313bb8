"""The customer's side: attributes other plugins read, the 360° section, data-subject
export and erasure.

Erasure blanks what people typed (call notes, survey comments), cancels open calls and
drops the due rows (an erased customer is reminded of nothing) and the history of their
states (a timeline of one person's habits); scores, the current state and counts stay for
the KPIs, as the erasure rules allow for aggregate records.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select

from pitstop.sdk import PluginContext, Section, unmasked_builtins

from .history import latest
from .models import CustomerState, Reminder, StateChange, Survey, Task, VehicleDue, Visit

ERASED = "[erased]"
SHOWN_CHANGES = 5
"""The latest changes of state in the 360° section (all of them: the API, the export)."""


async def _state(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerState | None:
    statement = select(CustomerState).where(CustomerState.customer_id == customer_id)
    return (await ctx.session.scalars(statement)).one_or_none()


async def _all(ctx: PluginContext, model: Any, customer_id: uuid.UUID) -> list[Any]:
    statement = select(model).where(model.customer_id == customer_id).order_by(model.id)
    return list((await ctx.session.scalars(statement)).all())


async def attributes(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any]:
    """``retention.retention_state`` and ``retention.risk_reasons`` for other plugins."""
    state = await _state(ctx, customer_id)
    if state is None:
        return {}
    return {"retention_state": state.state, "risk_reasons": list(state.risk_reasons)}


async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    state = await _state(ctx, customer_id)
    dues = sorted(await _all(ctx, VehicleDue, customer_id), key=lambda d: d.due_date)
    surveys = [s for s in await _all(ctx, Survey, customer_id) if s.answered_at is not None]
    if state is None and not dues and not surveys:
        return None
    last = max(surveys, key=lambda s: s.answered_at, default=None)
    open_tasks = [t for t in await _all(ctx, Task, customer_id) if t.status == "open"]
    return Section(
        title="Retention",
        data={
            "state": None if state is None else state.state,
            "risk_reasons": [] if state is None else list(state.risk_reasons),
            "next_due": None
            if not dues
            else {
                "vehicle_id": str(dues[0].vehicle_id),
                "due_date": dues[0].due_date.isoformat(),
                "reason": dues[0].reason,
            },
            "last_score": None
            if last is None
            else {
                "csi": last.csi,
                "nps": last.nps,
                "answered_at": last.answered_at.isoformat() if last.answered_at else None,
            },
            "open_tasks": len(open_tasks),
            "history": [
                {
                    "from": c.from_state,
                    "state": c.state,
                    "reasons": c.reasons,
                    "at": c.at.isoformat(),
                }
                for c in await latest(ctx, customer_id, SHOWN_CHANGES)
            ],
        },
    )


def _row(row: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("id", *names)}


async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    """Everything retention holds about the customer, raw: it is their own copy."""
    state = await _state(ctx, customer_id)
    found = {
        "state": None if state is None else _row(state, "state", "risk_reasons", "state_since"),
        "due": [
            _row(d, "vehicle_id", "due_date", "due_km", "reason")
            for d in await _all(ctx, VehicleDue, customer_id)
        ],
        "reminders": [
            _row(r, "vehicle_id", "stage", "due_date", "sent_at", "converted_at")
            for r in await _all(ctx, Reminder, customer_id)
        ],
        "tasks": [
            _row(t, "kind", "status", "outcome", "note", "created_at", "closed_at")
            for t in await _all(ctx, Task, customer_id)
        ],
        "surveys": [
            _row(s, "order_id", "csi", "nps", "comment", "answered_at")
            for s in await _all(ctx, Survey, customer_id)
        ],
        "visits": [
            _row(v, "order_id", "at", "on_time") for v in await _all(ctx, Visit, customer_id)
        ],
        "state_history": [
            _row(c, "from_state", "state", "reasons", "at")
            for c in await _all(ctx, StateChange, customer_id)
        ],
    }
    if state is None and not any(found[k] for k in ("due", "reminders", "tasks", "surveys")):
        return None
    return dict(unmasked_builtins(found))


async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    now = ctx.now()
    for task in await _all(ctx, Task, customer_id):
        task.note = ERASED if task.note else None
        if task.status == "open":
            task.status, task.outcome, task.closed_at = "cancelled", "erased", now
    for survey in await _all(ctx, Survey, customer_id):
        survey.comment = ERASED if survey.comment else None
    await ctx.session.execute(delete(VehicleDue).where(VehicleDue.customer_id == customer_id))
    await ctx.session.execute(delete(StateChange).where(StateChange.customer_id == customer_id))
