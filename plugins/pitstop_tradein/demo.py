"""The demo's trade-ins: a price table for the book's cars, tonight's candidates, and a
lead in every stage, each moved there through the plugin's own services.

Deterministic: the price table is derived from each make/model/year in the book (a fixed
new-car price per make, less nothing: depreciation is the valuation's job), and leads are
opened for the first candidates by vehicle id. Idempotent: a tenant that already has a
price table is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine

from sqlalchemy import func, select

from pitstop.sdk import PluginContext, list_vehicles

from . import leads, offers
from .appraisals import appraise, highest_recorded_km, latest
from .candidates import score_candidates
from .models import Candidate, Lead, Offer, PriceRow
from .schemas import AppraisalCreate, Inspection, LeadCreate, Part, ReconItem

NEW_PRICE = 18_000_000  # ¥180,000 in fen, a mid-range new car
DAY = dt.timedelta(days=1)
Step = Callable[[PluginContext, Lead], Coroutine[object, object, None]]


async def _price_table(ctx: PluginContext) -> int:
    seen: set[tuple[str, str, int]] = set()
    async for vehicle in list_vehicles(ctx):
        if vehicle.make and vehicle.model and vehicle.year:
            seen.add((vehicle.make, vehicle.model, vehicle.year))
    for make, model, year in sorted(seen):
        bump = (sum(map(ord, make + model)) % 10) * 1_000_000  # up to ¥90,000 more
        ctx.session.add(PriceRow(make=make, model=model, year=year, base_value=NEW_PRICE + bump))
    await ctx.session.flush()
    return len(seen)


async def _appraised(ctx: PluginContext, lead: Lead) -> None:
    km = (await highest_recorded_km(ctx, lead) or 50_000) + 800
    part = Part(grade=4)
    body = AppraisalCreate(
        odometer_km=km,
        inspection=Inspection(part, Part(grade=4), Part(grade=3, note="底盘轻微锈蚀"), part, part),
        keys=2,
        recon_items=[ReconItem("tyres", 240_000), ReconItem("detailing", 60_000)],
    )
    await appraise(ctx, lead, body)


async def _offered(ctx: PluginContext, lead: Lead) -> None:
    """Offered the valuation; above the tenant's threshold the manager approves it."""
    await _appraised(ctx, lead)
    appraisal = await latest(ctx, lead)
    assert appraisal is not None
    offer = await offers.make_offer(ctx, lead, appraisal.valuation, None)
    if offer.status == "awaiting_approval":
        await offers.decide(ctx, lead, offer, approve=True)


async def _open_offer(ctx: PluginContext, lead: Lead) -> Offer:
    await _offered(ctx, lead)
    offer = await ctx.session.scalar(
        select(Offer).where(Offer.lead_id == lead.id, Offer.status == "offered")
    )
    assert offer is not None
    return offer


async def _accepted(ctx: PluginContext, lead: Lead) -> None:
    await offers.answer(ctx, lead, await _open_offer(ctx, lead), accepted=True)


async def _declined(ctx: PluginContext, lead: Lead) -> None:
    await offers.answer(ctx, lead, await _open_offer(ctx, lead), accepted=False)


async def _purchased(ctx: PluginContext, lead: Lead) -> None:
    await _accepted(ctx, lead)
    appraisal = await latest(ctx, lead)
    assert appraisal is not None
    await leads.purchase(ctx, lead, appraisal.valuation, True, 21_000_000)


async def _reconditioned(ctx: PluginContext, lead: Lead) -> None:
    await _purchased(ctx, lead)
    await leads.move(ctx, lead, "reconditioned", verb="reconditioned")


async def _sold(ctx: PluginContext, lead: Lead) -> None:
    await _reconditioned(ctx, lead)
    await leads.sold(ctx, lead, (lead.purchase_price or 0) + 800_000, "retail")


async def _lost(ctx: PluginContext, lead: Lead) -> None:
    await leads.move(ctx, lead, "lost", verb="lost")
    lead.lost_reason = "客户决定继续开这辆车"


async def _lead(ctx: PluginContext, lead: Lead) -> None:
    return None


SCENARIOS: list[tuple[str, int, Step]] = [
    # (the stage it ends in, days ago it happened, the steps)
    ("lead", 1, _lead),
    ("appraised", 2, _appraised),
    ("offered", 2, _offered),
    ("expired", 20, _offered),  # the sweep below expires it: 7 days have long passed
    ("accepted", 6, _accepted),
    ("declined", 8, _declined),
    ("purchased", 12, _purchased),
    ("reconditioned", 20, _reconditioned),
    ("sold", 30, _sold),
    ("lost", 10, _lost),
]


async def load_demo(ctx: PluginContext) -> str | None:
    if await ctx.session.scalar(select(func.count()).select_from(PriceRow)):
        return None  # loaded before
    prices = await _price_table(ctx)
    found = await score_candidates(ctx)
    candidates = (
        await ctx.session.scalars(
            select(Candidate).where(Candidate.store_id.is_not(None)).order_by(Candidate.vehicle_id)
        )
    ).all()
    for (stage, days_ago, step), candidate in zip(SCENARIOS, candidates, strict=False):
        opened = ctx.now() - days_ago * DAY
        body = LeadCreate(candidate.vehicle_id, "candidate", f"演示: {stage}", candidate.store_id)
        lead = await leads.open_lead(ctx.as_of(opened), body)
        await step(ctx.as_of(opened + dt.timedelta(hours=4)), lead)
    await offers.sweep(ctx)
    made = min(len(candidates), len(SCENARIOS))
    return f"{prices} price rows, {found} candidates, {made} leads"
