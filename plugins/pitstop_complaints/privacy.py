"""The customer's side: the 360° section, data-subject export and erasure.

A complaint's free text (description, resolution, notes) is where personal data hides, so
erasure blanks it; the facts (severity, category, clocks, outcome) stay for the KPIs, as
the erasure rules allow for aggregate records.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from pitstop.sdk import PluginContext, Section, unmasked_builtins

from .models import Complaint, ComplaintActivity
from .schemas import activity_out, complaint_out

ERASED = "[erased]"
OPEN = ("new", "acknowledged", "investigating", "awaiting_customer")


async def _of_customer(ctx: PluginContext, customer_id: uuid.UUID) -> list[Complaint]:
    statement = select(Complaint).where(Complaint.customer_id == customer_id)
    return list((await ctx.session.scalars(statement.order_by(Complaint.id))).all())


async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    complaints = await _of_customer(ctx, customer_id)
    principal = ctx.principal
    if principal is not None:
        complaints = [c for c in complaints if principal.sees_store(c.store_id)]
    if not complaints:
        return None
    surveyed = [c for c in complaints if c.surveyed_at is not None]
    last = max(surveyed, key=lambda c: c.surveyed_at or c.created_at) if surveyed else None
    return Section(
        title="Complaints",
        data={
            "total": len(complaints),
            "open": [
                {
                    "id": str(c.id),
                    "severity": c.severity,
                    "status": c.status,
                    "escalation_level": c.escalation_level,
                    "resolution_due_at": c.resolution_due_at.isoformat(),
                }
                for c in complaints
                if c.status in OPEN
            ],
            "last_satisfaction": None if last is None else last.satisfaction,
        },
    )


async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    """The customer's own complaints, raw: it is their data (the export route is audited)."""
    complaints = await _of_customer(ctx, customer_id)
    if not complaints:
        return None
    out = []
    for c in complaints:
        activities = (
            await ctx.session.scalars(
                select(ComplaintActivity)
                .where(ComplaintActivity.complaint_id == c.id)
                .order_by(ComplaintActivity.id)
            )
        ).all()
        item = unmasked_builtins(complaint_out(c))
        item["activities"] = unmasked_builtins([activity_out(a) for a in activities])
        out.append(item)
    return {"complaints": out}


async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    now = ctx.now()
    ids = [c.id for c in await _of_customer(ctx, customer_id)]
    if not ids:
        return
    await ctx.session.execute(
        update(Complaint)
        .where(Complaint.id.in_(ids))
        .values(description=ERASED, resolution=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.execute(
        update(ComplaintActivity)
        .where(ComplaintActivity.complaint_id.in_(ids), ComplaintActivity.note.is_not(None))
        .values(note=ERASED)
        .execution_options(synchronize_session=False)
    )
