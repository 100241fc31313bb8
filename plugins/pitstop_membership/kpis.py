"""Membership's tile on the KPI board: points owed, and what members spend against others.

* ``points_outstanding`` - points issued by the stores in scope and not yet redeemed,
  expired or reversed at the end of the period (the liability report's ``outstanding``;
  with no store narrowing, HQ's store-less grants are included).
* ``members`` - accounts enrolled before the period ended.
* ``member_average_ticket`` / ``non_member_average_ticket`` - the period's completed orders
  of customers with an account enrolled before the period ended, and of everyone else,
  revenue over orders rounded half up to the fen (``order_figures``: one SQL statement each).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pitstop.sdk import KpiTile, Period, PluginContext, order_figures
from pitstop_membership import reports
from pitstop_membership.models import MemberAccount


def _stores(ctx: PluginContext, store_id: uuid.UUID | None) -> frozenset[uuid.UUID] | None:
    seen = ctx.principal.store_ids if ctx.principal is not None else None
    if store_id is None:
        return seen
    return frozenset({store_id}) if seen is None or store_id in seen else frozenset()


async def tile(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile:
    liability = await reports.liability(ctx, period.start_at, period.end_at, _stores(ctx, store_id))
    members = select(MemberAccount.customer_id).where(MemberAccount.enrolled_at < period.end_at)
    with_account = await order_figures(ctx, period, store_id=store_id, customers=members)
    without = await order_figures(ctx, period, store_id=store_id, customers=members, exclude=True)
    count = await ctx.session.scalar(select(func.count()).select_from(members.subquery()))
    return KpiTile(
        title="Membership & points",
        figures={
            "points_outstanding": sum(s.outstanding for s in liability.stores),
            "members": int(count or 0),
            "member_orders": with_account.orders,
            "member_average_ticket": with_account.average_ticket,
            "non_member_orders": without.orders,
            "non_member_average_ticket": without.average_ticket,
        },
    )
