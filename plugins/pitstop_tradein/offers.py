"""Offers: made on the latest appraisal, approved above the tenant's thresholds, answered
by the customer, and expired on time.

An offer goes to the customer at once (``offered``) unless it is above ``approval_over``
or more than ``approval_over_valuation_pct`` above the valuation: then it waits
(``awaiting_approval``) for a manager, and its validity starts when approved. Making an
offer locks the appraisal it rests on. Expiry has two paths that cannot both act: a task
deferred to ``valid_until`` and a nightly sweep as the backstop; each re-reads the offer
and expires it only if it is still ``offered`` and due by the injected clock.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from pitstop.sdk import Conflict, NotFound, PluginContext

from . import events, leads
from .appraisals import latest
from .models import Lead, Offer
from .settings import TradeinSettings
from .stages import check_move

LIVE = ("awaiting_approval", "offered")


def approval_reasons(amount: int, valuation: int, settings: TradeinSettings) -> list[str]:
    """Why an offer needs a manager (empty: it does not)."""
    reasons = []
    if amount > settings.approval_over:
        reasons.append("over_amount")
    if amount * 100 > valuation * (100 + settings.approval_over_valuation_pct):
        reasons.append("over_valuation")
    return reasons


async def of_lead(ctx: PluginContext, lead: Lead, offer_id: uuid.UUID) -> Offer:
    offer = await ctx.session.scalar(
        select(Offer).where(Offer.id == offer_id, Offer.lead_id == lead.id)
    )
    if offer is None:
        raise NotFound("no such offer on this lead", code="tradein_offer_not_found")
    return offer


def _event(lead: Lead, offer: Offer) -> events.OfferEvent:
    return events.OfferEvent(
        lead.id, offer.id, lead.store_id, offer.amount, offer.valuation, offer.status
    )


async def _present(ctx: PluginContext, lead: Lead, offer: Offer) -> None:
    """The offer reaches the customer: the lead moves, the clock to expiry starts."""
    await leads.move(ctx, lead, "offered", verb="offered", detail={"offer_id": str(offer.id)})
    offer.status = "offered"
    offer.valid_until = ctx.now() + dt.timedelta(days=offer.valid_days)
    ctx.defer("expire_offer", at=offer.valid_until, offer_id=str(offer.id))
    await ctx.emit(events.OFFER_MADE.name, _event(lead, offer))


async def make_offer(
    ctx: PluginContext[TradeinSettings], lead: Lead, amount: int, valid_days: int | None
) -> Offer:
    check_move(lead.stage, "offered")
    appraisal = await latest(ctx, lead)
    if appraisal is None:
        raise Conflict("appraise the car before making an offer", code="tradein_not_appraised")
    pending = await ctx.session.scalar(
        select(Offer.id).where(Offer.lead_id == lead.id, Offer.status == "awaiting_approval")
    )
    if pending is not None:
        raise Conflict("an offer on this lead awaits approval", code="tradein_offer_pending")
    now = ctx.now()
    appraisal.locked_at = appraisal.locked_at or now
    offer = Offer(
        lead_id=lead.id,
        appraisal_id=appraisal.id,
        amount=amount,
        valuation=appraisal.valuation,
        status="awaiting_approval",
        approval_reasons=approval_reasons(amount, appraisal.valuation, ctx.settings),
        valid_days=valid_days or ctx.settings.offer_valid_days,
        created_at=now,
    )
    ctx.session.add(offer)
    await ctx.session.flush()
    await ctx.audit(
        "tradein.offer_made",
        resource="tradein_offer",
        resource_id=offer.id,
        detail={
            "lead_id": str(lead.id),
            "amount": amount,
            "valuation": offer.valuation,
            "approval_reasons": offer.approval_reasons,
        },
    )
    if not offer.approval_reasons:
        await _present(ctx, lead, offer)
    return offer


async def decide(ctx: PluginContext, lead: Lead, offer: Offer, *, approve: bool) -> None:
    if offer.status != "awaiting_approval":
        raise Conflict(
            f"the offer is {offer.status}, not awaiting approval", code="tradein_offer_not_pending"
        )
    offer.decided_by = None if ctx.principal is None else ctx.principal.actor_id
    offer.decided_at = ctx.now()
    verb = "offer_approved" if approve else "offer_rejected"
    await ctx.audit(
        f"tradein.{verb}",
        resource="tradein_offer",
        resource_id=offer.id,
        detail={"lead_id": str(lead.id), "amount": offer.amount},
    )
    if approve:
        await _present(ctx, lead, offer)
    else:
        offer.status = "rejected"


async def answer(ctx: PluginContext, lead: Lead, offer: Offer, *, accepted: bool) -> None:
    """The customer's answer, while the offer stands (an expired one cannot be accepted)."""
    if offer.status != "offered" or (offer.valid_until and offer.valid_until <= ctx.now()):
        raise Conflict(
            f"the offer is {_shown(ctx, offer)}, not open for an answer",
            code="tradein_offer_not_open",
        )
    to = "accepted" if accepted else "declined"
    await leads.move(ctx, lead, to, verb=f"offer_{to}", detail={"offer_id": str(offer.id)})
    offer.status, offer.answered_at = to, ctx.now()
    if accepted:
        await ctx.emit(events.OFFER_ACCEPTED.name, _event(lead, offer))


def _shown(ctx: PluginContext, offer: Offer) -> str:
    due = offer.status == "offered" and offer.valid_until is not None
    return "expired" if due and offer.valid_until <= ctx.now() else offer.status  # type: ignore[operator]


async def expire(ctx: PluginContext, offer: Offer) -> bool:
    """Expire one offer if it is still open and due by the clock; True when it did."""
    if offer.status != "offered" or offer.valid_until is None or offer.valid_until > ctx.now():
        return False
    lead = await ctx.session.get(Lead, (ctx.tenant_id, offer.lead_id))
    assert lead is not None
    offer.status = "expired"
    if lead.stage == "offered":
        await leads.move(
            ctx, lead, "expired", verb="offer_expired", detail={"offer_id": str(offer.id)}
        )
    await ctx.emit(events.OFFER_EXPIRED.name, _event(lead, offer))
    return True


async def expire_offer(ctx: PluginContext, *, offer_id: str) -> None:
    """The deferred task: late or duplicated messages re-read the offer and act once."""
    try:
        key = uuid.UUID(offer_id)
    except ValueError:
        return
    offer = await ctx.session.get(Offer, (ctx.tenant_id, key))
    if offer is not None:
        await expire(ctx, offer)


async def sweep(ctx: PluginContext) -> int:
    """The backstop: every open offer past its validity, by the injected clock."""
    due = await ctx.session.scalars(
        select(Offer)
        .where(Offer.status == "offered", Offer.valid_until <= ctx.now())
        .order_by(Offer.id)
    )
    return sum([await expire(ctx, offer) for offer in due.all()])
