"""The referral funnel, aggregated in SQL over the plugin's own tables.

Referrals count by when they were linked (a cohort): of those linked in ``[from, to)``,
how many qualified, were rewarded or disqualified (by reason). The review backlog is
what waits for a reviewer now, whatever its age. Reward cost is what was granted: the
fen value the fulfiller answered with (vouchers' face values), plus the points at the
shop's ``point_value_fen`` when it set one, per rewarded referral. The membership
programme gives a point no fen value, so without that setting points are not priced and
stay apart.

New customers are the ones *won* in the period - their first completed order fell in it
(the core's ``new_customer_revenue``) - and each brings what they spent within 12 months
of it so far: the referral share of them, and referees' spend against the others'.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import case, func, select

from pitstop.sdk import KpiTile, Period, PluginContext, new_customer_revenue

from .lifecycle import scoped
from .models import Referral, ReferralCode, ReferralReward
from .settings import ReferralSettings


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_points() -> Any:
    return func.coalesce(
        func.sum(case((ReferralReward.kind == "points", ReferralReward.points))), 0
    )


_FUNNEL = (
    func.count(),
    _count(Referral.qualified_at.is_not(None)),
    _count(Referral.status == "rewarded"),
    _count(Referral.status.in_(("disqualified", "rejected"))),
)
"""Linked, qualified, rewarded, disqualified: the funnel of a cohort of referrals."""


def _cohort(start: dt.datetime, end: dt.datetime, store_id: uuid.UUID | None) -> list[Any]:
    """Referrals linked in ``[start, end)``, at one store when given."""
    cohort = [Referral.linked_at >= start, Referral.linked_at < end]
    if store_id is not None:
        cohort.append(Referral.store_id == store_id)
    return cohort


async def kpis(
    ctx: PluginContext[ReferralSettings],
    start: dt.datetime,
    end: dt.datetime,
    store_id: uuid.UUID | None,
) -> dict[str, Any]:
    cohort = _cohort(start, end, store_id)
    funnel = scoped(
        ctx, select(*_FUNNEL, func.coalesce(func.sum(Referral.order_total), 0)).where(*cohort)
    )
    linked, qualified, rewarded, disqualified, first_orders = (
        await ctx.session.execute(funnel)
    ).one()
    reasons = scoped(
        ctx,
        select(Referral.reason, func.count())
        .where(*cohort, Referral.status.in_(("disqualified", "rejected")))
        .group_by(Referral.reason),
    )
    backlog = scoped(ctx, select(func.count()).where(Referral.status == "review"))
    if store_id is not None:
        backlog = backlog.where(Referral.store_id == store_id)
    cost = scoped(
        ctx,
        select(
            func.coalesce(
                func.sum(case((ReferralReward.kind == "points", ReferralReward.points))), 0
            ),
            _count(ReferralReward.kind == "voucher"),
            func.coalesce(func.sum(ReferralReward.value), 0),
        )
        .join(Referral, Referral.id == ReferralReward.referral_id)
        .where(*cohort, ReferralReward.status == "granted"),
    )
    points, vouchers, value = (await ctx.session.execute(cost)).one()
    priced = _points_cost(ctx.settings.point_value_fen, int(points))
    issued = _codes_issued(ctx, start, end, store_id)
    won = await new_customer_revenue(ctx, since=start, until=end, store_id=store_id)
    referees = set((await ctx.session.scalars(select(Referral.referee_id))).all())
    referred = {c: spent for c, spent in won.items() if c in referees}
    others = {c: spent for c, spent in won.items() if c not in referees}
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "store_id": None if store_id is None else str(store_id),
        "codes_issued": int(await ctx.session.scalar(issued) or 0),
        "linked": int(linked),
        "qualified": int(qualified),
        "rewarded": int(rewarded),
        "disqualified": int(disqualified),
        "disqualified_by_reason": {
            str(r): int(n) for r, n in (await ctx.session.execute(reasons)).all()
        },
        "review_backlog": int(await ctx.session.scalar(backlog) or 0),
        "referee_first_order_revenue": int(first_orders),
        "points_granted": int(points),
        "vouchers_granted": int(vouchers),
        "points_per_rewarded": round(int(points) / int(rewarded), 1) if rewarded else None,
        "voucher_value_granted": int(value),
        "points_cost": priced,
        "cost_per_acquired_customer": (
            round((int(value) + (priced or 0)) / int(rewarded)) if rewarded else None
        ),
        "new_customers": len(won),
        "referred_new_customers": len(referred),
        "referral_share": round(len(referred) / len(won), 3) if won else None,
        "referee_avg_revenue": _average(referred),
        "other_new_customer_avg_revenue": _average(others),
    }


def _codes_issued(
    ctx: PluginContext, start: dt.datetime, end: dt.datetime, store_id: uuid.UUID | None
) -> Any:
    """Codes made in the period at the store given, else at the caller's stores (a
    store-scoped reader does not count HQ's codes); all of them for HQ."""
    statement = select(func.count()).where(
        ReferralCode.created_at >= start, ReferralCode.created_at < end
    )
    if store_id is not None:
        return statement.where(ReferralCode.store_id == store_id)
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        return statement.where(ReferralCode.store_id.in_(principal.store_ids))
    return statement


def _points_cost(point_value_fen: int, points: int) -> int | None:
    """Fen the points granted cost at today's ``point_value_fen``; None when the shop set
    no value, so a reader tells "not priced" from "cost nothing". Re-pricing a point
    re-prices past periods: it is a valuation, not what was paid."""
    return points * point_value_fen if point_value_fen else None


def _average(spent: dict[uuid.UUID, int]) -> int | None:
    """Fen per customer over the first 12 months so far; None when there is nobody."""
    return round(sum(spent.values()) / len(spent)) if spent else None


async def tile(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    """The referral funnel on HQ's KPI board, for referrals linked in the board's days, in
    the caller's stores: one aggregate statement (``qualification_rate`` = qualified /
    linked), plus the review backlog now."""
    principal = ctx.principal
    if principal is not None and not principal.can("referrals:read"):
        return None
    cohort = _cohort(period.start_at, period.end_at, store_id)
    funnel = scoped(ctx, select(*_FUNNEL).where(*cohort))
    linked, qualified, rewarded, disqualified = (await ctx.session.execute(funnel)).one()
    backlog = scoped(ctx, select(func.count()).where(Referral.status == "review"))
    if store_id is not None:
        backlog = backlog.where(Referral.store_id == store_id)
    return KpiTile(
        title="Referral rewards",
        figures={
            "linked": int(linked),
            "qualified": int(qualified),
            "rewarded": int(rewarded),
            "disqualified": int(disqualified),
            "qualification_rate": round(int(qualified) / int(linked), 4) if linked else None,
            "review_backlog": int(await ctx.session.scalar(backlog) or 0),
        },
    )
