"""The customer's side: the 360° section, data-subject export and erasure.

What staff typed about a trade-in (the lead's note, a lost reason, inspection notes, an
odometer explanation) is where personal data hides, so erasure blanks it; prices,
grades and stages stay for the funnel, as the erasure rules allow for business records.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from pitstop.sdk import PluginContext, Section, unmasked_builtins

from .models import Appraisal, Candidate, Lead, Offer
from .schemas import appraisal_out, lead_out, offer_out
from .stages import OPEN

ERASED = "[erased]"


async def _leads(ctx: PluginContext, customer_id: uuid.UUID) -> list[Lead]:
    statement = select(Lead).where(Lead.customer_id == customer_id).order_by(Lead.id)
    return list((await ctx.session.scalars(statement)).all())


async def _appraisals(ctx: PluginContext, lead_ids: list[uuid.UUID]) -> list[Appraisal]:
    statement = select(Appraisal).where(Appraisal.lead_id.in_(lead_ids))
    return list((await ctx.session.scalars(statement.order_by(Appraisal.id))).all())


async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    found = await _leads(ctx, customer_id)
    principal = ctx.principal
    if principal is not None:
        found = [lead for lead in found if principal.sees_store(lead.store_id)]
    if not found:
        return None
    appraisals = await _appraisals(ctx, [lead.id for lead in found])
    last = max(appraisals, key=lambda a: a.created_at, default=None)
    return Section(
        title="Trade-in",
        data={
            "open_leads": [
                {"id": str(lead.id), "stage": lead.stage, "vehicle_id": str(lead.vehicle_id)}
                for lead in found
                if lead.stage in OPEN
            ],
            "last_appraisal_value": None if last is None else last.valuation,
            "last_appraisal_at": None if last is None else last.created_at.isoformat(),
        },
    )


async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    """The customer's own trade-ins, raw: it is their data (the export route is audited)."""
    found = await _leads(ctx, customer_id)
    if not found:
        return None
    out = []
    for lead in found:
        item = unmasked_builtins(lead_out(lead))
        item["appraisals"] = unmasked_builtins(
            [appraisal_out(a) for a in await _appraisals(ctx, [lead.id])]
        )
        offers = await ctx.session.scalars(select(Offer).where(Offer.lead_id == lead.id))
        item["offers"] = unmasked_builtins([offer_out(o) for o in offers.all()])
        out.append(item)
    return {"leads": out}


async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    now = ctx.now()
    found = await _leads(ctx, customer_id)
    for lead in found:
        lead.note = ERASED if lead.note else None
        lead.lost_reason = ERASED if lead.lost_reason else None
        lead.erased_at = now
    for appraisal in await _appraisals(ctx, [lead.id for lead in found]):
        appraisal.inspection = {
            part: {"grade": value["grade"], "note": None}
            for part, value in appraisal.inspection.items()
        }
        appraisal.rollback_reason = ERASED if appraisal.rollback_reason else None
    candidates = await ctx.session.scalars(
        select(Candidate).where(Candidate.customer_id == customer_id)
    )
    for candidate in candidates.all():
        await ctx.session.delete(candidate)
