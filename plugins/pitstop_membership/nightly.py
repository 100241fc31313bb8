"""The nightly run (02:00 tenant time): expire, warn about expiry, end overrides, review tiers.

Each step works account by account under the account lock, so it can run beside daytime
redemptions, and each is safe to repeat: expired lots hold nothing more to expire, warned
lots are flagged, reviews move the review date forward, ended overrides are cleared.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from pitstop.sdk import PluginContext
from pitstop_membership import dates, ledger, tiers
from pitstop_membership.events import POINTS_EXPIRED, POINTS_EXPIRING, PointsExpired, PointsExpiring
from pitstop_membership.models import MemberAccount, PointLot
from pitstop_membership.settings import programme

EXPIRING_WITHIN = dt.timedelta(days=30)


async def run_nightly(ctx: PluginContext) -> None:
    await expire_points(ctx)
    await warn_expiring(ctx)
    await end_overrides(ctx)
    await review_tiers(ctx)


async def _accounts_with_lots(ctx: PluginContext, *conditions: object) -> list[uuid.UUID]:
    statement = (
        select(MemberAccount.customer_id)
        .join(PointLot, PointLot.account_id == MemberAccount.id)
        .where(PointLot.remaining > 0, *conditions)  # type: ignore[arg-type]
        .distinct()
    )
    return sorted((await ctx.session.scalars(statement)).all())


async def expire_points(ctx: PluginContext) -> int:
    """Expire every lot past its date; one ``membership.points_expired`` per member."""
    now = ctx.now()
    expired = 0
    for customer_id in await _accounts_with_lots(ctx, PointLot.expires_at <= now):
        account = await ledger.lock_account(ctx.session, customer_id)
        if account is None:
            continue
        await ledger.mature(ctx.session, account, now)
        entry, lots = await ledger.expire_due(ctx.session, account, now)
        if entry is None:
            continue
        expired += -entry.points
        await ctx.emit(
            POINTS_EXPIRED.name,
            PointsExpired(customer_id, -entry.points, [lot.id for lot in lots], account.balance),
        )
    return expired


async def warn_expiring(ctx: PluginContext) -> int:
    """Warn once per lot that expires within 30 days (the event carries ids and figures)."""
    now = ctx.now()
    statement = select(PointLot).where(
        PointLot.remaining > 0,
        PointLot.expiring_notified.is_(False),
        PointLot.expires_at > now,
        PointLot.expires_at <= now + EXPIRING_WITHIN,
    )
    by_account: dict[uuid.UUID, list[PointLot]] = {}
    for lot in (await ctx.session.scalars(statement)).all():
        by_account.setdefault(lot.account_id, []).append(lot)
    for account_id, lots in sorted(by_account.items()):
        account = await ctx.session.get(MemberAccount, (ctx.tenant_id, account_id))
        if account is None:
            continue
        for lot in lots:
            lot.expiring_notified = True
        first = min(lot.expires_at for lot in lots if lot.expires_at is not None)
        points = sum(lot.remaining for lot in lots)
        await ctx.emit(
            POINTS_EXPIRING.name,
            PointsExpiring(account.customer_id, points, first, [lot.id for lot in lots]),
        )
        await ctx.notify(  # the customer hears of it too, under the tenant's rules
            customer_id=account.customer_id,
            purpose="service",
            template="points_expiring",
            data={
                "points": points,
                "expires_on": dates.local_date(programme(ctx), first).isoformat(),
            },
            dedupe_key=f"points_expiring:{min(lot.id for lot in lots)}",
        )
    return len(by_account)


async def end_overrides(ctx: PluginContext) -> int:
    now = ctx.now()
    statement = select(MemberAccount.customer_id).where(
        MemberAccount.override_tier.is_not(None), MemberAccount.override_until <= now
    )
    ended = 0
    for customer_id in sorted((await ctx.session.scalars(statement)).all()):
        account = await ledger.lock_account(ctx.session, customer_id)
        if account is not None and await tiers.end_override_if_due(ctx, account):
            ended += 1
    return ended


async def review_tiers(ctx: PluginContext) -> int:
    """Review every member whose yearly review date has come (local date)."""
    settings = programme(ctx)
    now = ctx.now()
    today = dates.local_date(settings, now)
    statement = select(MemberAccount.customer_id).where(MemberAccount.next_review_on <= today)
    reviewed = 0
    for customer_id in sorted((await ctx.session.scalars(statement)).all()):
        account = await ledger.lock_account(ctx.session, customer_id)
        if account is not None:
            await tiers.review(ctx, account, now)
            reviewed += 1
    return reviewed
