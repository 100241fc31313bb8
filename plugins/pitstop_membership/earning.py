"""Earning on completed service orders and taking points back on refunds.

Both run as subscriptions, so delivery is at least once and the host commits the handler's
writes with the delivery mark (exactly-once effect). Each is also idempotent on its own,
by an idempotency key per order (``earn:<order>``, ``reverse:<order>``): a second event
for the same order, however it arrives, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from pitstop.sdk import Event, PluginContext, get_customer
from pitstop_membership import dates, ledger, tiers
from pitstop_membership.ledger import Source
from pitstop_membership.models import (
    EntryKind,
    LedgerEntry,
    LotKind,
    LotMovement,
    MemberAccount,
    MovementKind,
    PointLot,
)
from pitstop_membership.settings import AutoEnrol, Clawback, MembershipSettings, Rounding, programme

_ROUNDING = {
    Rounding.down: ROUND_FLOOR,
    Rounding.nearest: ROUND_HALF_UP,
    Rounding.up: ROUND_CEILING,
}


def points_for(
    settings: MembershipSettings,
    total: int,
    amounts: Mapping[str, int],
    *,
    tier_multiplier: float,
    birthday: bool,
) -> int:
    """Points for an order of ``total`` fen (after discounts) split by category in ``amounts``.

    Each category's yuan is weighted by its multiplier (any part of the total the split
    does not explain counts at 1.0), then the earn rate, the tier's and the birthday
    multiplier apply, and only the final figure is rounded: rounding per category would
    lose a point on every multi-line order. A category is net of the discounts booked to
    it, so one can be negative (a voucher booked to ``other``): it is weighted like the
    rest, so the member earns on what was paid, and never below zero in all.
    """
    unexplained = Decimal(max(0, total - sum(int(v) for v in amounts.values())))
    weighted = sum(
        (Decimal(int(fen)) * settings.category_multiplier(c) for c, fen in amounts.items()),
        unexplained,
    )
    weighted = max(Decimal(0), weighted)
    factor = Decimal(str(settings.points_per_yuan)) * Decimal(str(tier_multiplier))
    if birthday:
        factor *= Decimal(str(settings.birthday_multiplier))
    exact = weighted / 100 * factor
    return int(exact.to_integral_value(rounding=_ROUNDING[settings.rounding]))


async def account_for_earning(
    ctx: PluginContext, customer_id: uuid.UUID, at: dt.datetime
) -> MemberAccount | None:
    """The member's locked account; enrols a known, unerased customer when auto-enrol is on.
    The tenant's internal customer (the shop's own cars, reconditioned) earns nothing."""
    customer = await get_customer(ctx, customer_id)
    if customer is not None and customer.internal:
        return None
    account = await ledger.lock_account(ctx.session, customer_id)
    if account is not None:
        return account
    settings = programme(ctx)
    if settings.auto_enrol == AutoEnrol.off:
        return None
    if customer is None or customer.erased:
        return None
    return await tiers.enrol(ctx, customer_id, at)


@dataclass(frozen=True)
class CompletedOrder:
    """What earning needs of a completed order: the event's facts, or a past order's."""

    id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID
    total: int
    amounts: Mapping[str, int]
    completed_at: dt.datetime


async def on_order_completed(ctx: PluginContext, event: Event) -> None:
    facts = event.payload
    order = CompletedOrder(
        id=uuid.UUID(facts["order_id"]),
        customer_id=uuid.UUID(facts["customer_id"]),
        store_id=uuid.UUID(facts["store_id"]),
        total=int(facts.get("total") or 0),
        amounts=dict(facts.get("amounts") or {}),
        completed_at=event.occurred_at,
    )
    await earn(ctx, order, event_id=event.id)


async def earn(
    ctx: PluginContext, order: CompletedOrder, *, event_id: uuid.UUID | None = None
) -> int | None:
    """Earn on one completed order, dated when it completed: the path of live orders (the
    subscription) and of past orders of existing members (the backfill). Returns the
    points, or None when the order earned already (``earn:<order>``) or the customer is not
    a member."""
    at = order.completed_at
    account = await account_for_earning(ctx, order.customer_id, at)
    if account is None or await ledger.entry_by_key(ctx.session, f"earn:{order.id}"):
        return None
    settings = programme(ctx)
    customer = await get_customer(ctx, order.customer_id)
    birthday = dates.is_birthday_month(settings, customer.birthday if customer else None, at)
    entry, lot = book(ctx, account, order, birthday=birthday, event_id=event_id)
    if lot is not None:
        await ledger.repay_debts(ctx.session, account, entry, lot, at)
    await tiers.upgrade_if_qualified(ctx, account, at)
    return entry.points


def book(
    ctx: PluginContext,
    account: MemberAccount,
    order: CompletedOrder,
    *,
    birthday: bool,
    event_id: uuid.UUID | None = None,
) -> tuple[LedgerEntry, PointLot | None]:
    """The earn entry and lot of one order, without a query: the rate and category weights,
    the multiplier of the tier in force when the order completed, and the lot's pending
    period and expiry counted from the completion. Debts and tiers are the caller's."""
    settings = programme(ctx)
    at = order.completed_at
    tier_code, _ = tiers.effective_tier(account, at)
    points = points_for(
        settings,
        order.total,
        dict(order.amounts),
        tier_multiplier=settings.tier(tier_code).multiplier,
        birthday=birthday,
    )
    source = Source(
        key=f"earn:{order.id}",
        reason="service order completed",
        store_id=order.store_id,
        order_id=order.id,
        event_id=event_id,
    )
    entry, lot = ledger.issue(
        ctx.session,
        account,
        EntryKind.earn,
        points,
        source,
        at,
        available_at=dates.available_from(settings, at),
        expires_at=dates.expiry_for(settings, at),
        spend=order.total,
    )
    entry.detail = {
        "tier": tier_code,
        "earned_tier": account.tier,
        "birthday_month": birthday,
        "total": order.total,
    }
    return entry, lot


async def on_order_refunded(ctx: PluginContext, event: Event) -> None:
    facts = event.payload
    order_id = uuid.UUID(facts["order_id"])
    account = await ledger.lock_account(ctx.session, uuid.UUID(facts["customer_id"]))
    if account is None:
        return
    source = Source(
        key=f"reverse:{order_id}",
        reason="service order refunded",
        store_id=uuid.UUID(facts["store_id"]),
        order_id=order_id,
        event_id=event.id,
    )
    await clawback(ctx, account, source, ctx.now())


async def clawback(
    ctx: PluginContext[MembershipSettings], account: MemberAccount, source: Source, now: dt.datetime
) -> None:
    """Take back what the order earned, less what has expired meanwhile.

    The order's own lot gives first, then other lots in expiry order; what is still
    missing becomes a debt (``allow_negative``) or is forgiven (``cap_at_zero``).
    """
    session = ctx.session
    if source.order_id is None or await ledger.entry_by_key(session, source.key):
        return
    earns = [
        e
        for e in await ledger.entries_of_order(session, account, source.order_id)
        if e.kind == EntryKind.earn
    ]
    if not earns:
        return
    own = list(
        (
            await session.scalars(
                select(PointLot).where(PointLot.entry_id.in_([e.id for e in earns]))
            )
        ).all()
    )
    target = sum(lot.points for lot in own) - await _expired_from(ctx, own)
    entry = ledger.record(session, account, EntryKind.reverse, 0, source, now)
    entry.spend = -sum(e.spend for e in earns)
    await ledger.mature(session, account, now)
    others = [lot for lot in await ledger.open_lots(session, account) if lot not in own]
    taken = ledger.take(session, account, [*own, *others], entry, target, now)
    owed = target - taken
    policy: Clawback = ctx.settings.clawback
    if owed and policy == Clawback.allow_negative:
        await _owe(ctx, account, entry, owed, now)
    else:
        entry.detail = {"forgiven": owed}
        owed = 0
    ledger.settle_points(account, entry, -(taken + owed))
    await tiers.reassess_after_refund(ctx, account, earns, now)


async def _expired_from(ctx: PluginContext, lots: list[PointLot]) -> int:
    statement = select(LotMovement.points).where(
        LotMovement.lot_id.in_([lot.id for lot in lots]), LotMovement.kind == MovementKind.expire
    )
    return -sum((await ctx.session.scalars(statement)).all())


async def _owe(
    ctx: PluginContext, account: MemberAccount, entry: Any, owed: int, now: dt.datetime
) -> None:
    debts = [
        lot for lot in await ledger.open_lots(ctx.session, account) if lot.kind == LotKind.debt
    ]
    if debts:
        ledger.move(ctx.session, account, debts[0], entry, -owed, now)
    else:
        ledger.new_lot(ctx.session, account, entry, LotKind.debt, points=-owed, now=now)
