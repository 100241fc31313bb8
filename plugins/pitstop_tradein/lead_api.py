"""HTTP API of trade-in leads, their appraisals and offers, mounted at
``/api/v1/tradein/leads``.

Every path names a lead first and goes through :func:`~.leads.visible`: another tenant's
or another store's lead — and so any appraisal or offer under it — is a 404. Writes take
the lead with a row lock (PostgreSQL), so a customer's answer and the expiry task never
act on the same offer state.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from pitstop.sdk import Limit, Page, PluginContext, Unprocessable, keyset, page_of

from . import leads, offers
from .appraisals import appraise
from .models import Appraisal, Lead, Offer
from .schemas import (
    AppraisalCreate,
    AppraisalOut,
    LeadCreate,
    LeadOut,
    Lost,
    OfferCreate,
    OfferOut,
    Purchase,
    Sold,
    appraisal_out,
    lead_out,
    offer_out,
)
from .stages import STAGES, check_move

READ, APPRAISE = {"permission": "tradein:read"}, {"permission": "tradein:appraise"}
OFFER, APPROVE = {"permission": "tradein:offer"}, {"permission": "tradein:approve"}


class LeadsController(Controller):
    path = "/leads"

    @post("/", status_code=201, opt=APPRAISE)
    async def open(
        self, ctx: NamedDependency[PluginContext], data: JSONBody[LeadCreate]
    ) -> LeadOut:
        return lead_out(await leads.open_lead(ctx, data))

    @get("/", opt=READ)
    async def list_leads(
        self,
        ctx: NamedDependency[PluginContext],
        stage: FromQuery[str | None] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[LeadOut]:
        if stage is not None and stage not in STAGES:
            raise Unprocessable.field("stage", f"one of {', '.join(STAGES)}")
        statement = leads.scoped(ctx, select(Lead))
        for column, value in (
            (Lead.stage, stage),
            (Lead.store_id, store_id),
            (Lead.customer_id, customer_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        rows = (await ctx.session.scalars(keyset(statement, Lead.id, after, limit))).all()
        return page_of(rows, limit, [lead_out(r) for r in rows], lambda r: r.id)

    @get("/{lead_id:uuid}", opt=READ)
    async def show(
        self, ctx: NamedDependency[PluginContext], lead_id: FromPath[uuid.UUID]
    ) -> LeadOut:
        return lead_out(await leads.visible(ctx, lead_id))

    @post("/{lead_id:uuid}/appraisals", status_code=201, opt=APPRAISE)
    async def appraise(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[AppraisalCreate],
    ) -> AppraisalOut:
        """Value the car; below the shop's highest odometer reading needs a confirmation."""
        lead = await leads.visible(ctx, lead_id, lock=True)
        return appraisal_out(await appraise(ctx, lead, data))

    @get("/{lead_id:uuid}/appraisals", opt=READ)
    async def appraisals(
        self, ctx: NamedDependency[PluginContext], lead_id: FromPath[uuid.UUID]
    ) -> list[AppraisalOut]:
        """Every version, oldest first: a locked one is never changed, only superseded."""
        lead = await leads.visible(ctx, lead_id)
        rows = await ctx.session.scalars(
            select(Appraisal).where(Appraisal.lead_id == lead.id).order_by(Appraisal.version)
        )
        return [appraisal_out(a) for a in rows.all()]

    @post("/{lead_id:uuid}/offers", status_code=201, opt=OFFER)
    async def offer(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[OfferCreate],
    ) -> OfferOut:
        lead = await leads.visible(ctx, lead_id, lock=True)
        return offer_out(await offers.make_offer(ctx, lead, data.amount, data.valid_days))

    @get("/{lead_id:uuid}/offers", opt=READ)
    async def offers_of(
        self, ctx: NamedDependency[PluginContext], lead_id: FromPath[uuid.UUID]
    ) -> list[OfferOut]:
        lead = await leads.visible(ctx, lead_id)
        rows = await ctx.session.scalars(
            select(Offer).where(Offer.lead_id == lead.id).order_by(Offer.created_at, Offer.id)
        )
        return [offer_out(o) for o in rows.all()]

    async def _offer(
        self, ctx: PluginContext, lead_id: uuid.UUID, offer_id: uuid.UUID, to: str | None = None
    ) -> tuple[Lead, Offer]:
        """The lead and its offer; an answer the lead's stage does not allow is a 409
        listing the allowed moves before the offer is even looked at."""
        lead = await leads.visible(ctx, lead_id, lock=True)
        if to is not None:
            check_move(lead.stage, to)
        return lead, await offers.of_lead(ctx, lead, offer_id)

    @post("/{lead_id:uuid}/offers/{offer_id:uuid}/approve", status_code=200, opt=APPROVE)
    async def approve(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        offer_id: FromPath[uuid.UUID],
    ) -> OfferOut:
        lead, offer = await self._offer(ctx, lead_id, offer_id)
        await offers.decide(ctx, lead, offer, approve=True)
        return offer_out(offer)

    @post("/{lead_id:uuid}/offers/{offer_id:uuid}/reject", status_code=200, opt=APPROVE)
    async def reject(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        offer_id: FromPath[uuid.UUID],
    ) -> OfferOut:
        lead, offer = await self._offer(ctx, lead_id, offer_id)
        await offers.decide(ctx, lead, offer, approve=False)
        return offer_out(offer)

    @post("/{lead_id:uuid}/offers/{offer_id:uuid}/accept", status_code=200, opt=OFFER)
    async def accept(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        offer_id: FromPath[uuid.UUID],
    ) -> OfferOut:
        lead, offer = await self._offer(ctx, lead_id, offer_id, "accepted")
        await offers.answer(ctx, lead, offer, accepted=True)
        return offer_out(offer)

    @post("/{lead_id:uuid}/offers/{offer_id:uuid}/decline", status_code=200, opt=OFFER)
    async def decline(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        offer_id: FromPath[uuid.UUID],
    ) -> OfferOut:
        lead, offer = await self._offer(ctx, lead_id, offer_id, "declined")
        await offers.answer(ctx, lead, offer, accepted=False)
        return offer_out(offer)

    @post("/{lead_id:uuid}/purchase", status_code=200, opt=OFFER)
    async def purchase(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[Purchase],
    ) -> LeadOut:
        lead = await leads.visible(ctx, lead_id, lock=True)
        r = data.replacement
        await leads.purchase(ctx, lead, data.price, r.bought_from_us, r.amount)
        return lead_out(lead)

    @post("/{lead_id:uuid}/reconditioned", status_code=200, opt=APPRAISE)
    async def reconditioned(
        self, ctx: NamedDependency[PluginContext], lead_id: FromPath[uuid.UUID]
    ) -> LeadOut:
        lead = await leads.visible(ctx, lead_id, lock=True)
        await leads.move(ctx, lead, "reconditioned", verb="reconditioned")
        return lead_out(lead)

    @post("/{lead_id:uuid}/sold", status_code=200, opt=OFFER)
    async def sold(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[Sold],
    ) -> LeadOut:
        lead = await leads.visible(ctx, lead_id, lock=True)
        await leads.sold(ctx, lead, data.price, data.channel)
        return lead_out(lead)

    @post("/{lead_id:uuid}/lost", status_code=200, opt=APPRAISE)
    async def lost(
        self,
        ctx: NamedDependency[PluginContext],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[Lost],
    ) -> LeadOut:
        lead = await leads.visible(ctx, lead_id, lock=True)
        await leads.lose(ctx, lead, data.reason)
        return lead_out(lead)
