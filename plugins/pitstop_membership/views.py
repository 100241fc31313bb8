"""Looking members up for the API and the customer 360 view, and shaping what they see."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pitstop.sdk import (
    FreeText,
    NotFound,
    PluginContext,
    Unprocessable,
    get_customer,
    get_store,
)
from pitstop_membership import ledger, tiers
from pitstop_membership.models import LedgerEntry, MemberAccount, PointLot
from pitstop_membership.schemas import AccountOut, EntryOut, ExpiringOut, TierOut
from pitstop_membership.settings import Tier, programme

EXPIRING_SOON = dt.timedelta(days=30)


async def known_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    """404 for a customer this tenant does not have (another tenant's id included)."""
    customer = await get_customer(ctx, customer_id)
    if customer is None:
        raise NotFound("no such customer", code="customer_not_found")


async def find_account(
    ctx: PluginContext, customer_id: uuid.UUID, *, lock: bool = False
) -> MemberAccount | None:
    await known_customer(ctx, customer_id)
    if lock:
        return await ledger.lock_account(ctx.session, customer_id)
    statement = select(MemberAccount).where(MemberAccount.customer_id == customer_id)
    return (await ctx.session.scalars(statement)).one_or_none()


async def member(
    ctx: PluginContext, customer_id: uuid.UUID, *, lock: bool = False
) -> MemberAccount:
    account = await find_account(ctx, customer_id, lock=lock)
    if account is None:
        raise NotFound("this customer is not a member", code="not_enrolled")
    return account


async def member_or_enrol(ctx: PluginContext, customer_id: uuid.UUID) -> MemberAccount:
    """For staff grants and overrides: a customer who is not yet a member becomes one."""
    account = await find_account(ctx, customer_id, lock=True)
    if account is None:
        customer = await get_customer(ctx, customer_id)
        if customer is not None and customer.erased:
            raise Unprocessable.field("customer_id", "this customer was erased", code="erased")
        if customer is not None and customer.internal:
            raise Unprocessable.field("customer_id", "the shop itself", code="internal_customer")
        account = await tiers.enrol(ctx, customer_id, ctx.now())
    return account


async def store_in_scope(ctx: PluginContext, store_id: uuid.UUID, field: str) -> uuid.UUID:
    """The store, if this tenant has it and the caller works there; else 422 naming it."""
    store = await get_store(ctx, store_id)
    principal = ctx.principal
    if store is None or (principal is not None and not principal.sees_store(store.id)):
        raise Unprocessable.field(field, "no such store", code="unknown_store")
    return store.id


def tier_out(tier: Tier) -> TierOut:
    return TierOut(tier.code, tier.name, tier.multiplier, tier.benefits, tier.threshold)


def entry_out(entry: LedgerEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        kind=str(entry.kind),
        points=entry.points,
        reason=FreeText(entry.reason),
        spend=entry.spend,
        store_id=entry.store_id,
        order_id=entry.order_id,
        occurred_at=entry.occurred_at,
    )


async def expiring_soon(ctx: PluginContext, account: MemberAccount) -> ExpiringOut:
    now = ctx.now()
    statement = select(
        func.coalesce(func.sum(PointLot.remaining), 0), func.min(PointLot.expires_at)
    ).where(
        PointLot.account_id == account.id,
        PointLot.remaining > 0,
        PointLot.expires_at > now,
        PointLot.expires_at <= now + EXPIRING_SOON,
    )
    points, first = (await ctx.session.execute(statement)).one()
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    return ExpiringOut(points=int(points or 0), first_expires_at=first)


async def account_out(ctx: PluginContext, account: MemberAccount) -> AccountOut:
    settings = programme(ctx)
    now = ctx.now()
    pending = await ledger.pending_at(ctx.session, account, now)
    code, source = tiers.effective_tier(account, now)
    standing = await tiers.standing(ctx, account, now)
    return AccountOut(
        customer_id=account.customer_id,
        balance=account.balance,
        pending=pending,
        spendable=max(0, account.balance - pending),
        tier=tier_out(settings.tier(code)),
        tier_source=source,
        earned_tier=account.tier,
        override_until=account.override_until if source == "override" else None,
        qualifying_spend=standing.spend,
        next_tier=tier_out(standing.next_tier) if standing.next_tier else None,
        spend_to_next_tier=standing.to_next,
        next_review_on=standing.review_on,
        spend_to_keep_tier=standing.to_keep,
        expiring_soon=await expiring_soon(ctx, account),
        enrolled_at=account.enrolled_at,
    )
