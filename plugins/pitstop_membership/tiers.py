"""Tiers: earned from qualifying spend, reviewed yearly, overridden by hand for a while.

Rules members can be told in one breath each:

* **up at once** - the order that lifts rolling-window spend over a threshold upgrades the
  member that moment;
* **down slowly** - only at the yearly review (the anniversary of enrolment), and by one
  tier, so one quiet year costs one step, not the card;
* **overrides end** - a manual tier has an end date; when it passes the member is on the
  tier they *earned*, never silently on the override as a floor;
* **refunds undo their own upgrade** - a refunded order's spend leaves the window it was
  earned in, and a tier reached only through it is taken back at once (never below the
  tier held before that order).

Every change of the earned or the effective tier emits ``membership.tier_changed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from pitstop.sdk import PluginContext, new_id
from pitstop_membership import dates
from pitstop_membership.events import TIER_CHANGED, TierChanged
from pitstop_membership.models import EntryKind, LedgerEntry, MemberAccount
from pitstop_membership.settings import MembershipSettings, Tier, programme


def effective_tier(account: MemberAccount, now: dt.datetime) -> tuple[str, str]:
    """The tier in force and why: ``earned`` or ``override`` (until its end)."""
    if account.override_tier and account.override_until and account.override_until > now:
        return account.override_tier, "override"
    return account.tier, "earned"


def tier_for_spend(settings: MembershipSettings, spend: int) -> Tier:
    qualified = [t for t in settings.tiers if t.threshold <= spend]
    return qualified[-1] if qualified else settings.tiers[0]


async def qualifying_spend(ctx: PluginContext, account: MemberAccount, since: dt.datetime) -> int:
    """Spend (fen) of the orders earned after ``since`` that have not been refunded.

    A refund takes the order's spend out of the window it was *earned* in: an order that
    left the window months ago takes nothing from today's window when it is refunded.
    """
    refunded = aliased(LedgerEntry)
    statement = select(func.coalesce(func.sum(LedgerEntry.spend), 0)).where(
        LedgerEntry.account_id == account.id,
        LedgerEntry.kind == EntryKind.earn,
        LedgerEntry.occurred_at > since,
        ~exists().where(
            refunded.account_id == account.id,
            refunded.kind == EntryKind.reverse,
            refunded.order_id == LedgerEntry.order_id,
        ),
    )
    return int(await ctx.session.scalar(statement) or 0)


def new_account(
    settings: MembershipSettings, customer_id: object, now: dt.datetime
) -> MemberAccount:
    """A member enrolled at ``now``: the first tier, no points, reviewed a year on."""
    return MemberAccount(
        id=new_id(),
        customer_id=customer_id,
        balance=0,
        pending=0,
        tier=settings.tiers[0].code,
        tier_since=now,
        enrolled_at=now,
        next_review_on=dates.first_review(settings, now),
    )


async def enrol(ctx: PluginContext, customer_id: object, now: dt.datetime) -> MemberAccount:
    account = new_account(programme(ctx), customer_id, now)
    ctx.session.add(account)
    await ctx.session.flush()
    return account


async def _announce(
    ctx: PluginContext, account: MemberAccount, before: tuple[str, str], reason: str
) -> None:
    now = ctx.now()
    after = effective_tier(account, now)
    await ctx.emit(
        TIER_CHANGED.name,
        TierChanged(account.customer_id, before[0], after[0], account.tier, after[1], reason),
    )


async def upgrade_if_qualified(ctx: PluginContext, account: MemberAccount, at: dt.datetime) -> None:
    settings = programme(ctx)
    spend = await qualifying_spend(ctx, account, dates.window_start(settings, at))
    await upgrade_for_spend(ctx, account, spend, at)


async def upgrade_for_spend(
    ctx: PluginContext, account: MemberAccount, spend: int, at: dt.datetime
) -> None:
    """Up at once, never down: the tier ``spend`` (qualifying, in the window ending at
    ``at``) earns, when it is above the member's earned tier."""
    settings = programme(ctx)
    reached = tier_for_spend(settings, spend)
    if settings.rank(reached.code) > settings.rank(account.tier):
        before = effective_tier(account, ctx.now())
        account.tier, account.tier_since = reached.code, at
        await _announce(ctx, account, before, "upgrade")


async def review(ctx: PluginContext, account: MemberAccount, now: dt.datetime) -> None:
    """The yearly review: down one tier if spend no longer qualifies, up if it does."""
    settings = programme(ctx)
    spend = await qualifying_spend(ctx, account, dates.window_start(settings, now))
    reached, rank = settings.rank(tier_for_spend(settings, spend).code), settings.rank(account.tier)
    today = dates.local_date(settings, now)
    while account.next_review_on <= today:
        account.next_review_on = dates.add_months(account.next_review_on, 12)
    if reached == rank and account.tier == settings.tiers[rank].code:
        return
    before = effective_tier(account, now)
    new_rank = rank - 1 if reached < rank else reached
    account.tier, account.tier_since = settings.tiers[new_rank].code, now
    await _announce(ctx, account, before, "review")


async def reassess_after_refund(
    ctx: PluginContext, account: MemberAccount, refunded: Sequence[LedgerEntry], at: dt.datetime
) -> None:
    """Take back a tier that was reached only through the refunded order's spend.

    The member drops to the higher of the tier their remaining qualifying spend earns and
    the tier they had earned before that order (recorded on its earn entry): a tier held
    before the order, or kept at a review, is not theirs to lose by a refund. An override
    that has not ended stays in force; only the earned tier under it changes.
    """
    settings = programme(ctx)
    spend = await qualifying_spend(ctx, account, dates.window_start(settings, at))
    held_before = min(settings.rank(_earned_before(entry)) for entry in refunded)
    deserved = max(settings.rank(tier_for_spend(settings, spend).code), held_before)
    if deserved >= settings.rank(account.tier):
        return
    before = effective_tier(account, ctx.now())
    account.tier, account.tier_since = settings.tiers[deserved].code, at
    await _announce(ctx, account, before, "refund")


def _earned_before(entry: LedgerEntry) -> str:
    """Entries written before ``earned_tier`` was recorded have the tier in force instead."""
    return str(entry.detail.get("earned_tier") or entry.detail.get("tier") or "")


async def set_override(
    ctx: PluginContext,
    account: MemberAccount,
    tier: str | None,
    until: dt.datetime | None,
    reason: str,
) -> None:
    before = effective_tier(account, ctx.now())
    account.override_tier, account.override_until = tier, until
    account.override_reason = reason if tier else None
    if effective_tier(account, ctx.now()) != before:
        await _announce(ctx, account, before, "override" if tier else "override_cleared")


async def end_override_if_due(ctx: PluginContext, account: MemberAccount) -> bool:
    """Clear an override whose end has passed; announce the tier the member returns to."""
    now = ctx.now()
    if account.override_tier is None or account.override_until is None:
        return False
    if account.override_until > now:
        return False
    before = (account.override_tier, "override")
    account.override_tier = account.override_until = account.override_reason = None
    if before[0] != account.tier:
        await _announce(ctx, account, before, "override_ended")
    return True


@dataclass(frozen=True)
class Standing:
    """Where a member stands: progress to the next tier and what keeps the current one."""

    spend: int
    next_tier: Tier | None
    to_next: int
    review_on: dt.date
    counted_at_review: int
    to_keep: int


async def standing(ctx: PluginContext, account: MemberAccount, now: dt.datetime) -> Standing:
    settings = programme(ctx)
    spend = await qualifying_spend(ctx, account, dates.window_start(settings, now))
    rank = settings.rank(account.tier)
    following = settings.tiers[rank + 1] if rank + 1 < len(settings.tiers) else None
    review_at = dates.local_midnight(settings, account.next_review_on)
    counted = await qualifying_spend(ctx, account, dates.window_start(settings, review_at))
    threshold = settings.tier(account.tier).threshold
    return Standing(
        spend=spend,
        next_tier=following,
        to_next=max(0, following.threshold - spend) if following else 0,
        review_on=account.next_review_on,
        counted_at_review=counted,
        to_keep=max(0, threshold - counted),
    )
