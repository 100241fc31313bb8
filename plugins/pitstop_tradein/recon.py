"""Reconditioning: when the shop buys the car, it becomes the shop's and its recon job is
opened as a core service order at the buying store, so the work is tracked like any job
(started, completed, on the store's board) and what it cost feeds the unit's margin.

The car moves to the tenant's internal customer (``take_into_stock``: a row in its
ownership history, audited), which the core and the other plugins leave out of customer
lists, counts, reminders and rewards. The order's lines are the accepted appraisal's recon
estimates (one inspection line at 0 when there were none). A lead opens one order, ever:
its id is kept on the lead, and a second call (a retried purchase, the recon-order route)
returns that order instead of opening another.
"""

from __future__ import annotations

from sqlalchemy import select

from pitstop.sdk import (
    OrderLine,
    PluginContext,
    ServiceOrderView,
    get_service_order,
    open_service_order,
    take_into_stock,
)

from .models import Appraisal, Lead, Offer

INSPECTION = OrderLine("整备检查 Reconditioning inspection", 0, category="inspection")


async def bought_on(ctx: PluginContext, lead: Lead) -> Appraisal | None:
    """The appraisal the accepted offer rested on (else the latest version)."""
    accepted = select(Offer.appraisal_id).where(
        Offer.lead_id == lead.id, Offer.status == "accepted"
    )
    appraisal_id = await ctx.session.scalar(accepted.limit(1))
    statement = select(Appraisal).where(Appraisal.lead_id == lead.id)
    if appraisal_id is not None:
        statement = statement.where(Appraisal.id == appraisal_id)
    return await ctx.session.scalar(statement.order_by(Appraisal.version.desc()).limit(1))


def lines_of(appraisal: Appraisal | None) -> list[OrderLine]:
    items = [] if appraisal is None else appraisal.recon_items
    lines = [
        OrderLine(f"整备 {item['category']}", int(item["estimate"]), category="repair")
        for item in items
    ]
    return lines or [INSPECTION]


async def open_recon_order(ctx: PluginContext, lead: Lead) -> ServiceOrderView:
    """The lead's recon order, opened on first call; the same one on every later call."""
    if lead.recon_order_id is not None:
        found = await get_service_order(ctx, lead.recon_order_id)
        if found is not None:
            return found
    await take_into_stock(ctx, lead.vehicle_id)
    lines = lines_of(await bought_on(ctx, lead))
    order = await open_service_order(
        ctx, vehicle_id=lead.vehicle_id, store_id=lead.store_id, lines=lines
    )
    lead.recon_order_id = order.id
    await ctx.session.flush()
    await ctx.audit(
        "tradein.recon_order_opened",
        resource="tradein_lead",
        resource_id=lead.id,
        detail={"order_id": str(order.id), "lines": len(lines), "estimate": order.total},
    )
    return order


async def recon_cost(ctx: PluginContext, lead: Lead, appraisal: Appraisal | None) -> int:
    """What reconditioning cost: the recon order's total once it is completed, the
    appraisal's estimates until then (and for cars bought before orders were opened)."""
    if lead.recon_order_id is not None:
        order = await get_service_order(ctx, lead.recon_order_id)
        if order is not None and order.status == "completed":
            return order.total
    return sum(int(i["estimate"]) for i in appraisal.recon_items) if appraisal else 0
