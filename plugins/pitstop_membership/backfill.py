"""Counting a shop's history: points and tiers for orders completed before the programme.

A shop that turns membership on wants its regulars to start where their visits put them,
not at zero. ``pitstop membership backfill --since 12mo`` earns on every completed (and
not refunded) service order of the window that has no earn entry yet, through the same
:func:`~.earning.earn` the live subscription uses: the same rate, categories, tier
multiplier in force at the time, upgrades as spend crosses a threshold, and lots dated and
expiring from the order's completion. Orders are taken oldest first, so the tier each
order earns at is the one the member had reached by then.

Safe to repeat: an order that earned (``earn:<order>``, by the backfill or live) is
skipped, so a second run changes nothing. Points whose date has already passed expire in
the same transaction (recorded in the ledger, without a ``points_expired`` event: the member
never saw them). Tier changes are announced as ``membership.tier_changed`` like live ones.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from pitstop.sdk import (
    CustomerView,
    PluginContext,
    ServiceOrderView,
    completed_service_orders,
    get_customers,
)
from pitstop_membership import dates, earning, ledger, tiers
from pitstop_membership.earning import CompletedOrder
from pitstop_membership.models import EntryKind, LedgerEntry, MemberAccount, PointLot
from pitstop_membership.settings import AutoEnrol, programme

_SPAN = re.compile(r"^\s*(\d{1,3})\s*(mo|y|w|d)\s*$", re.IGNORECASE)
MAX_MONTHS = 120
ID_CHUNK = 500


class SinceInvalid(ValueError):
    """``--since`` is neither a span (``12mo``, ``2y``, ``8w``, ``90d``) nor a date."""


@dataclass(frozen=True)
class Since:
    """Where the window starts: a span back from today, or a day, in local time."""

    months: int = 0
    days: int = 0
    day: dt.date | None = None

    @classmethod
    def parse(cls, text: str) -> Since:
        try:
            return cls(day=dt.date.fromisoformat(text.strip()))
        except ValueError:
            pass
        match = _SPAN.match(text)
        if match is None:
            raise SinceInvalid("use a span such as 12mo, 2y, 8w or 90d, or a date (2025-11-01)")
        count, unit = int(match[1]), match[2].lower()
        months = {"mo": count, "y": 12 * count}.get(unit, 0)
        days = {"w": 7 * count, "d": count}.get(unit, 0)
        if months > MAX_MONTHS or days > 31 * MAX_MONTHS:
            raise SinceInvalid(f"reaches back more than {MAX_MONTHS // 12} years")
        return cls(months=months, days=days)

    def start(self, ctx: PluginContext, now: dt.datetime) -> dt.datetime:
        """The first instant of the window: local midnight in the programme's time zone."""
        settings = programme(ctx)
        today = dates.local_date(settings, now)
        first = self.day or dates.add_months(today, -self.months) - dt.timedelta(days=self.days)
        return dates.local_midnight(settings, first)


@dataclass
class Summary:
    """What one tenant's run did: counts and tier codes only, never a person."""

    since: dt.date
    timezone: str
    orders: int = 0
    points: int = 0
    already: int = 0
    not_members: int = 0
    enrolled: int = 0
    expired: int = 0
    tiers: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        tiers = " · ".join(f"{code} {n:,}" for code, n in self.tiers.items())
        return [
            f"  orders since {self.since} ({self.timezone}): {self.orders:,} counted,"
            f" {self.already:,} had earned already, {self.not_members:,} of non-members",
            f"  points earned: {self.points:,} ({self.expired:,} already past their expiry);"
            f" members enrolled: {self.enrolled:,}",
            f"  members per tier: {tiers or 'none'}",
        ]


async def backfill(ctx: PluginContext, since: Since) -> Summary:
    """Earn on the window's completed orders that have not earned yet (one tenant)."""
    settings = programme(ctx)
    now = ctx.now()
    start = since.start(ctx, now)
    summary = Summary(since=dates.local_date(settings, start), timezone=str(settings.timezone))
    earned = await _orders_with_earnings(ctx)
    by_customer: dict[uuid.UUID, list[CompletedOrder]] = {}
    async for order in completed_service_orders(ctx, since=start, until=now):
        if order.id in earned or order.completed_at is None:
            summary.already += 1
        else:
            by_customer.setdefault(order.customer_id, []).append(_completed(order))
    members = await _members_among(ctx, list(by_customer))
    enrolled = await _enrol_new_members(ctx, by_customer, members)
    summary.enrolled = len(enrolled)
    for customer_id, orders in sorted(by_customer.items()):
        if customer_id in members:
            points = [await earning.earn(ctx, order) for order in orders]
        elif customer_id in enrolled:
            points = await _replay_new_member(ctx, *enrolled[customer_id], orders)
        else:
            points = [None] * len(orders)
        summary.orders += sum(1 for p in points if p is not None)
        summary.not_members += sum(1 for p in points if p is None)
        summary.points += sum(p for p in points if p is not None)
    await ctx.session.flush()
    summary.expired = await _expire_past(ctx, set(by_customer), now)
    summary.tiers = await _members_per_tier(ctx)
    return summary


async def _enrol_new_members(
    ctx: PluginContext,
    by_customer: Mapping[uuid.UUID, list[CompletedOrder]],
    members: set[uuid.UUID],
) -> dict[uuid.UUID, tuple[MemberAccount, CustomerView]]:
    """Auto-enrol, at their first order of the window, the customers who are not members.

    As the live path would (``auto_enrol`` on, a known customer not erased). Written in one
    flush before any entry: entries reference their account.
    """
    settings = programme(ctx)
    if settings.auto_enrol == AutoEnrol.off:
        return {}
    customers = await get_customers(ctx, set(by_customer) - members)
    enrolled = {
        customer_id: (tiers.new_account(settings, customer_id, orders[0].completed_at), customer)
        for customer_id, orders in sorted(by_customer.items())
        if (customer := customers.get(customer_id)) is not None
        and not (customer.erased or customer.internal)
    }
    ctx.session.add_all([account for account, _ in enrolled.values()])
    await ctx.session.flush()
    return enrolled


async def _replay_new_member(
    ctx: PluginContext,
    account: MemberAccount,
    customer: CustomerView,
    orders: list[CompletedOrder],
) -> list[int | None]:
    """A member just enrolled, through their orders in one go (no queries).

    Exactly what the live path does for them order by order (the earn entry and lot, the
    upgrade as spend crosses a threshold), except that nothing needs reading back: a new
    member owes nothing, and their qualifying spend is the spend of the orders replayed so
    far (none of them refunded).
    """
    settings = programme(ctx)
    spent: list[tuple[dt.datetime, int]] = []
    points: list[int | None] = []
    for order in orders:
        at = order.completed_at
        birthday = dates.is_birthday_month(settings, customer.birthday, at)
        entry, _ = earning.book(ctx, account, order, birthday=birthday)
        spent.append((at, order.total))
        window = dates.window_start(settings, at)
        await tiers.upgrade_for_spend(ctx, account, sum(f for t, f in spent if t > window), at)
        points.append(entry.points)
    return points


async def _members_among(ctx: PluginContext, customer_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these customers are members already (their history goes the exact way)."""
    found: set[uuid.UUID] = set()
    wanted = sorted(customer_ids)
    for i in range(0, len(wanted), ID_CHUNK):
        statement = select(MemberAccount.customer_id).where(
            MemberAccount.customer_id.in_(wanted[i : i + ID_CHUNK])
        )
        found.update((await ctx.session.scalars(statement)).all())
    return found


def _completed(order: ServiceOrderView) -> CompletedOrder:
    if order.completed_at is None:
        raise ValueError(f"service order {order.id} is not completed: nothing to count")
    return CompletedOrder(
        id=order.id,
        customer_id=order.customer_id,
        store_id=order.store_id,
        total=order.total,
        amounts=order.amounts,
        completed_at=order.completed_at,
    )


async def _orders_with_earnings(ctx: PluginContext) -> set[uuid.UUID | None]:
    statement = select(LedgerEntry.order_id).where(
        LedgerEntry.kind == EntryKind.earn, LedgerEntry.order_id.is_not(None)
    )
    return set((await ctx.session.scalars(statement)).all())


async def _expire_past(ctx: PluginContext, customers: set[uuid.UUID], now: dt.datetime) -> int:
    """Lots dated to have expired before the run expire now, as the nightly run does."""
    statement = (
        select(MemberAccount.customer_id)
        .join(PointLot, PointLot.account_id == MemberAccount.id)
        .where(PointLot.remaining > 0, PointLot.expires_at <= now)
        .distinct()
    )
    expired = 0
    for customer_id in sorted(set((await ctx.session.scalars(statement)).all()) & customers):
        account = await ledger.lock_account(ctx.session, customer_id)
        if account is None:
            continue
        await ledger.mature(ctx.session, account, now)
        entry, _ = await ledger.expire_due(ctx.session, account, now)
        expired += -entry.points if entry is not None else 0
    return expired


async def _members_per_tier(ctx: PluginContext) -> dict[str, int]:
    """Members per earned tier, in the programme's tier order."""
    rows = await ctx.session.execute(
        select(MemberAccount.tier, func.count()).group_by(MemberAccount.tier)
    )
    counts = Counter({str(tier): int(n) for tier, n in rows.all()})
    order = [t.code for t in programme(ctx).tiers]

    def rank(code: str) -> tuple[int, str]:
        return (order.index(code) if code in order else len(order), code)

    return {code: counts[code] for code in sorted(counts, key=rank)}
