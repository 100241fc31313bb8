"""Logging a complaint: check what it refers to, fix its SLA targets, route it, set timers.

Everything it names must exist in the caller's tenant and, for a store-scoped caller, in
one of the caller's stores; otherwise a 422 names the field and nothing is written. The
customer's tier is read once, here, as the membership plugin's ``membership.tier``
attribute (absent when membership is off or failing: the untiered targets apply): the
targets and the escalation start level are decided at intake and do not drift.
"""

from __future__ import annotations

import uuid

from pitstop.sdk import (
    PluginContext,
    Unprocessable,
    get_customer,
    get_service_order,
    get_store,
    get_vehicle,
)
from pitstop_complaints.events import CREATED, ComplaintCreated

from .clocks import calendar_of, start_clocks
from .models import Complaint, ComplaintActivity
from .notify import notify
from .routing import route
from .schemas import ComplaintCreate
from .settings import ComplaintSettings
from .sla import schedule_timers


async def log_complaint(ctx: PluginContext[ComplaintSettings], data: ComplaintCreate) -> Complaint:
    settings = ctx.settings
    await _check_references(ctx, data)
    if data.severity not in settings.severities:
        raise Unprocessable.field(
            "severity", f"must be one of {', '.join(settings.severities)}", code="unknown_severity"
        )
    vehicle_id = data.vehicle_id
    if data.service_order_id is not None and vehicle_id is None:
        order = await get_service_order(ctx, data.service_order_id)
        vehicle_id = order.vehicle_id if order is not None else None
    tier = await _tier(ctx, data.customer_id)
    now = ctx.now()
    complaint = Complaint(
        customer_id=data.customer_id,
        store_id=data.store_id,
        vehicle_id=vehicle_id,
        service_order_id=data.service_order_id,
        channel=data.channel,
        category=data.category,
        severity=data.severity,
        description=data.description.strip(),
        status="new",
        tier=tier,
        top_tier=tier is not None and tier in settings.top_tiers,
        created_at=now,
        updated_at=now,
    )
    policy = settings.policy_for(data.severity, tier)
    start_clocks(complaint, await calendar_of(ctx, data.store_id, policy.calendar), policy, now)
    ctx.session.add(complaint)
    await ctx.session.flush()
    await _assign_first(ctx, complaint)
    await ctx.emit(CREATED.name, _facts(complaint))
    schedule_timers(ctx, complaint)
    return complaint


def _facts(complaint: Complaint) -> ComplaintCreated:
    return ComplaintCreated(
        complaint_id=complaint.id,
        store_id=complaint.store_id,
        customer_id=complaint.customer_id,
        severity=complaint.severity,
        category=complaint.category,
        channel=complaint.channel,
        top_tier=complaint.top_tier,
        response_due_at=complaint.response_due_at,
        resolution_due_at=complaint.resolution_due_at,
    )


async def _tier(ctx: PluginContext, customer_id: uuid.UUID) -> str | None:
    tier = (await ctx.customer_attributes(customer_id)).get("membership.tier")
    return str(tier) if tier else None


async def _assign_first(ctx: PluginContext, complaint: Complaint) -> None:
    complaint.assignee_id = await route(ctx, complaint)
    actor = ctx.principal.actor_id if ctx.principal is not None else None
    ctx.session.add(
        ComplaintActivity(
            complaint_id=complaint.id,
            kind="transition",
            to_status="new",
            to_assignee_id=complaint.assignee_id,
            actor_id=actor,
            at=complaint.created_at,
        )
    )
    await notify(ctx, complaint, [complaint.assignee_id], "assigned.0")


async def _check_references(ctx: PluginContext, data: ComplaintCreate) -> None:
    """Each id must be the caller's tenant's (and store's); 422 naming the field if not."""
    customer = await get_customer(ctx, data.customer_id)
    if customer is None or customer.erased:
        raise Unprocessable.field("customer_id", "no such customer", code="unknown_customer")
    store = await get_store(ctx, data.store_id)
    principal = ctx.principal
    if store is None or (principal is not None and not principal.sees_store(store.id)):
        raise Unprocessable.field("store_id", "no such store of yours", code="unknown_store")
    if data.service_order_id is not None:
        order = await get_service_order(ctx, data.service_order_id)
        if order is None or order.customer_id != data.customer_id:
            raise Unprocessable.field(
                "service_order_id", "no such service order of this customer", code="unknown_order"
            )
    if data.vehicle_id is not None and await get_vehicle(ctx, data.vehicle_id) is None:
        raise Unprocessable.field("vehicle_id", "no such vehicle", code="unknown_vehicle")
