"""What the programme says about one customer: the 360 section, attributes for other
plugins, the data-subject export, and erasure.

The ledger holds no personal data by design (ids, figures, store, reasons typed by staff).
Erasure therefore blanks the free-text reasons (staff may have typed a name or a phone
into them) and the override note, and keeps every figure: points are money-like records
the chain must still be able to settle and audit.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, select, update

from pitstop.sdk import PluginContext, Section, Unprocessable, unmasked_builtins
from pitstop_membership import tiers, views
from pitstop_membership.models import LedgerEntry, MemberAccount, PointLot
from pitstop_membership.settings import programme

TITLE = "Membership"
"""The 360° section's title, in the source language: the console words it by the plugin's
labels for the reader, as it words the section's keys."""

ERASED = "erased"


async def _account(ctx: PluginContext, customer_id: uuid.UUID) -> MemberAccount | None:
    statement = select(MemberAccount).where(MemberAccount.customer_id == customer_id)
    return (await ctx.session.scalars(statement)).one_or_none()


async def summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    account = await _account(ctx, customer_id)
    if account is None:
        return None
    settings = programme(ctx)
    code, source = tiers.effective_tier(account, ctx.now())
    expiring = await views.expiring_soon(ctx, account)
    return Section(
        title=TITLE,
        data={
            "tier": code,
            "tier_name": settings.tier(code).name,
            "tier_source": source,
            "balance": account.balance,
            "expiring_soon": expiring.points,
            "first_expires_at": (
                expiring.first_expires_at.isoformat() if expiring.first_expires_at else None
            ),
        },
    )


async def attributes(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any]:
    account = await _account(ctx, customer_id)
    if account is None:
        return {}
    code, _ = tiers.effective_tier(account, ctx.now())
    return {"tier": code, "points_balance": account.balance}


def with_tier(ctx: PluginContext, tier: str) -> Any:
    """The members whose tier in force is ``tier`` (an unexpired override wins), in SQL:
    the same rule as :func:`tiers.effective_tier`, for the customer list's ``tier``."""
    known = [t.code for t in programme(ctx).tiers]
    if tier not in known:
        raise Unprocessable.field("tier", f"not one of {', '.join(known)}", code="unknown_tier")
    a = MemberAccount
    overridden = and_(a.override_tier.is_not(None), a.override_until > ctx.now())
    return select(a.customer_id).where(
        a.tenant_id == ctx.tenant_id,
        or_(
            and_(overridden, a.override_tier == tier),
            and_(~overridden, a.tier == tier),
        ),
    )


async def export(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    account = await _account(ctx, customer_id)
    if account is None:
        return None
    entries = (
        await ctx.session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == account.id).order_by(LedgerEntry.id)
        )
    ).all()
    lots = (
        await ctx.session.scalars(
            select(PointLot).where(PointLot.account_id == account.id).order_by(PointLot.id)
        )
    ).all()
    return {
        "account": unmasked_builtins(await views.account_out(ctx, account)),
        "override_reason": account.override_reason,
        "ledger": [unmasked_builtins(views.entry_out(e)) for e in entries],
        "lots": [
            {
                "id": str(lot.id),
                "store_id": str(lot.store_id) if lot.store_id else None,
                "points": lot.points,
                "remaining": lot.remaining,
                "earned_at": lot.earned_at.isoformat(),
                "expires_at": lot.expires_at.isoformat() if lot.expires_at else None,
            }
            for lot in lots
        ],
    }


async def erase(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    account = await _account(ctx, customer_id)
    if account is None:
        return
    if account.override_reason is not None:
        account.override_reason = ERASED
    await ctx.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.account_id == account.id, LedgerEntry.reason != "")
        .values(reason=ERASED)
        .execution_options(synchronize_session=False)
    )
