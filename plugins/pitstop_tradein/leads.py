"""Leads: opened for a car of the shop's book, moved through the stages, audited.

Store scope is one rule in one place (:func:`visible`): a store-scoped caller's query is
narrowed to their stores in SQL, so another store's lead is a 404 exactly like another
tenant's. Every stage move writes its history row and an audit row in the same
transaction as the change.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from pitstop.sdk import (
    NotFound,
    PluginContext,
    Unprocessable,
    get_store,
    get_vehicle,
    vehicle_service_orders,
)

from . import events, recon, rewards
from .models import Lead, StageChange
from .schemas import LeadCreate
from .stages import check_move


def scoped(ctx: PluginContext, statement: Any, column: Any = Lead.store_id) -> Any:
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        return statement.where(column.in_(principal.store_ids))
    return statement


async def visible(ctx: PluginContext, lead_id: uuid.UUID, *, lock: bool = False) -> Lead:
    """The lead, if the caller may see it; another tenant's or store's is not found."""
    statement = scoped(ctx, select(Lead).where(Lead.id == lead_id))
    if lock and ctx.session.dialect == "postgresql":
        statement = statement.with_for_update()
    found = (await ctx.session.scalars(statement)).one_or_none()
    if found is None:
        raise NotFound("no such trade-in lead", code="tradein_lead_not_found")
    return found


async def _store_for(ctx: PluginContext, data: LeadCreate, vehicle_id: uuid.UUID) -> uuid.UUID:
    principal = ctx.principal
    if data.store_id is not None:
        store = await get_store(ctx, data.store_id)
        if store is None or (principal is not None and not principal.sees_store(store.id)):
            raise Unprocessable.field("store_id", "no such store of yours")
        return store.id
    if principal is not None and principal.store_ids is not None and principal.store_ids:
        return min(principal.store_ids)
    history = await vehicle_service_orders(ctx, vehicle_id)
    if history:
        return history[-1].store_id
    raise Unprocessable.field("store_id", "required: the car has no service history")


async def open_lead(ctx: PluginContext, data: LeadCreate) -> Lead:
    vehicle = await get_vehicle(ctx, data.vehicle_id)
    if vehicle is None:
        raise Unprocessable.field("vehicle_id", "no such vehicle")
    now = ctx.now()
    lead = Lead(
        vehicle_id=vehicle.id,
        customer_id=vehicle.customer_id,
        store_id=await _store_for(ctx, data, vehicle.id),
        source=data.source,
        note=data.note,
        stage="lead",
        created_at=now,
        stage_changed_at=now,
    )
    ctx.session.add(lead)
    await ctx.session.flush()
    ctx.session.add(StageChange(lead_id=lead.id, to_stage="lead", actor_id=_actor(ctx), at=now))
    await ctx.emit(events.LEAD_CREATED.name, _lead_event(lead))
    await ctx.audit(
        "tradein.lead_created",
        resource="tradein_lead",
        resource_id=lead.id,
        detail={"source": lead.source, "vehicle_id": str(lead.vehicle_id)},
    )
    return lead


def _actor(ctx: PluginContext) -> uuid.UUID | None:
    return None if ctx.principal is None else ctx.principal.actor_id


def _lead_event(lead: Lead, amount: int | None = None) -> events.LeadEvent:
    return events.LeadEvent(
        lead.id, lead.store_id, lead.vehicle_id, lead.customer_id, lead.stage, amount
    )


async def move(
    ctx: PluginContext, lead: Lead, to: str, *, verb: str, detail: dict[str, Any] | None = None
) -> None:
    """Move the lead (409 listing the allowed moves if illegal), with history and audit."""
    check_move(lead.stage, to)
    now = ctx.now()
    ctx.session.add(
        StageChange(
            lead_id=lead.id, from_stage=lead.stage, to_stage=to, actor_id=_actor(ctx), at=now
        )
    )
    before, lead.stage, lead.stage_changed_at = lead.stage, to, now
    await ctx.audit(
        f"tradein.{verb}",
        resource="tradein_lead",
        resource_id=lead.id,
        detail={"from": before, "to": to, **(detail or {})},
    )


async def purchase(
    ctx: PluginContext, lead: Lead, price: int, from_us: bool, amount: int | None
) -> None:
    await move(ctx, lead, "purchased", verb="purchased", detail={"price": price})
    lead.purchase_price, lead.replacement_from_us, lead.replacement_amount = price, from_us, amount
    await ctx.emit(events.PURCHASED.name, _lead_event(lead, price))
    await rewards.request(ctx, lead)
    await recon.open_recon_order(ctx, lead)


async def sold(ctx: PluginContext, lead: Lead, price: int, channel: str) -> None:
    await move(ctx, lead, "sold", verb="sold", detail={"price": price, "channel": channel})
    lead.sold_price, lead.sold_channel = price, channel
    await ctx.emit(events.SOLD.name, _lead_event(lead, price))
