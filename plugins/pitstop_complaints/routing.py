"""Who handles a complaint: ordered rules, round robin within a role, the store manager last.

Rules are the tenant's (``routing`` in the settings); the first whose every non-empty list
contains the complaint's category, severity, store and customer tier decides. A rule that
names a role picks the next eligible staff member of that role at the store, in a stable
order (oldest membership first), from a cursor kept per (store, role) - so work spreads
evenly however many API servers take complaints. No match, or nobody eligible, falls back
to the store's manager; a store without one leaves the complaint unassigned (HQ sees it).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pitstop.sdk import PluginContext, StaffView, list_staff, new_id

from .models import Complaint, RoutingCursor
from .settings import ComplaintSettings, RoutingRule

FALLBACK_ROLE = "store_manager"


def matches(rule: RoutingRule, complaint: Complaint) -> bool:
    checks = (
        (rule.categories, complaint.category),
        (rule.severities, complaint.severity),
        (rule.store_ids, str(complaint.store_id)),
        (rule.tiers, complaint.tier),
    )
    return all(not wanted or value in wanted for wanted, value in checks)


async def route(ctx: PluginContext[ComplaintSettings], complaint: Complaint) -> uuid.UUID | None:
    """The staff member (membership id) the complaint goes to, or None."""
    settings = ctx.settings
    for rule in settings.routing:
        if not matches(rule, complaint):
            continue
        if rule.staff_id is not None:
            person = await _eligible_person(ctx, rule.staff_id, complaint.store_id)
            if person is not None:
                return person
        elif rule.role is not None:
            picked = await round_robin(ctx, complaint.store_id, rule.role)
            if picked is not None:
                return picked
        break
    return await round_robin(ctx, complaint.store_id, FALLBACK_ROLE)


async def _eligible_person(
    ctx: PluginContext, staff_id: str, store_id: uuid.UUID
) -> uuid.UUID | None:
    for staff in await list_staff(ctx, store_id=store_id):
        if str(staff.id) == staff_id:
            return staff.id
    return None


async def round_robin(ctx: PluginContext, store_id: uuid.UUID, role: str) -> uuid.UUID | None:
    """The next active staff member of ``role`` at the store after the last one picked."""
    staff = await list_staff(ctx, role=role, store_id=store_id)
    if not staff:
        return None
    cursor = await _locked_cursor(ctx, store_id, role)
    picked = _after(staff, cursor.last_staff_id)
    cursor.last_staff_id = picked.id
    await ctx.session.flush()
    return picked.id


async def _locked_cursor(ctx: PluginContext, store_id: uuid.UUID, role: str) -> RoutingCursor:
    """Create the (store, role) cursor if missing - two first complaints at once must not
    collide on its unique key (``ON CONFLICT DO NOTHING``) - then lock it."""
    dialect = ctx.session.dialect
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await ctx.session.execute(
        insert(RoutingCursor)
        .values(tenant_id=ctx.tenant_id, id=new_id(), store_id=store_id, role=role)
        .on_conflict_do_nothing(index_elements=["tenant_id", "store_id", "role"])
    )
    return (
        await ctx.session.scalars(
            select(RoutingCursor)
            .where(RoutingCursor.store_id == store_id, RoutingCursor.role == role)
            .with_for_update()
        )
    ).one()


def _after(staff: list[StaffView], last: uuid.UUID | None) -> StaffView:
    """The first staff member whose id sorts after ``last`` (wrapping round)."""
    if last is not None:
        for member in staff:
            if member.id > last:
                return member
    return staff[0]


async def staff_ids(ctx: PluginContext, role: str, store_id: uuid.UUID) -> list[uuid.UUID]:
    """Everyone of ``role`` who works at the store (HQ roles work at every store)."""
    return [s.id for s in await list_staff(ctx, role=role, store_id=store_id)]
