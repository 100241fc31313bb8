"""Rewards through the reward contract: ``reward.requested`` per side, answers recorded.

A side's reward row is inserted under ``UniqueConstraint(referral_id, side)`` inside a
savepoint before anything is emitted, and its ``reward_id`` is derived from the same pair
(uuid5), so a duplicate qualification, a retried task or two workers racing request each
side once ever — and a re-emit after a lost answer reuses the id the fulfiller knows.
The yearly cap and tier bonuses are decided here, from the referrer's rows of the year.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import (
    Event,
    PluginContext,
    RewardGranted,
    RewardRejected,
    RewardRequested,
    RewardRevoked,
    RewardSource,
)

from . import events
from .linking import emit
from .models import Referral, ReferralReward
from .settings import ReferralSettings, Reward

ASK_AGAIN = (dt.timedelta(days=2), dt.timedelta(days=1))
"""A reward unanswered after a day is asked again once, by the night that falls 1-2 days
after the request: a lost answer is recovered, and a tenant without a fulfiller is not
asked every night for ever."""
NAMESPACE = uuid.UUID("5b0e3c1e-6f0a-4f57-9a49-2f1f6c0d7a11")
REFERRER_SIDES = ("referrer", "bonus")
SETTLED = ("granted", "rejected", "capped", "none")
REASON = {"referrer": "推荐新客奖励", "referee": "新客推荐礼", "bonus": "推荐达标奖励"}


def reward_id(tenant_id: uuid.UUID, referral_id: uuid.UUID, side: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{tenant_id}:{referral_id}:{side}")


def _year_start(ctx: PluginContext) -> dt.datetime:
    local = ctx.now().astimezone(zoneinfo.ZoneInfo(ctx.timezone))
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


async def _given_this_year(ctx: PluginContext, referrer_id: uuid.UUID) -> int:
    statement = (
        select(func.count())
        .select_from(ReferralReward)
        .where(
            ReferralReward.customer_id == referrer_id,
            ReferralReward.side.in_(REFERRER_SIDES),
            ReferralReward.status.notin_(("capped", "none", "revoked")),
            ReferralReward.requested_at >= _year_start(ctx),
        )
    )
    return int(await ctx.session.scalar(statement) or 0)


async def _successes(ctx: PluginContext, referrer_id: uuid.UUID) -> int:
    """The referrer's qualified referrals so far, this one included (the tier count)."""
    statement = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.referrer_id == referrer_id, Referral.status.in_(("qualified", "rewarded")))
    )
    return int(await ctx.session.scalar(statement) or 0)


async def _plan(
    ctx: PluginContext[ReferralSettings], referral: Referral
) -> list[tuple[str, uuid.UUID, Reward, bool]]:
    """(side, customer, reward, capped) for each side this referral earns."""
    settings = ctx.settings
    assert referral.referrer_id is not None and referral.referee_id is not None
    plan = [("referee", referral.referee_id, settings.referee_reward, False)]
    given = await _given_this_year(ctx, referral.referrer_id)
    cap = settings.max_rewards_per_referrer_per_year
    referrer = settings.referrer_reward
    plan.append(("referrer", referral.referrer_id, referrer, given >= cap))
    given += referrer.kind != "none"
    count = await _successes(ctx, referral.referrer_id)
    tier = next((t for t in settings.tiers if t.at == count), None)
    if tier is not None:
        plan.append(("bonus", referral.referrer_id, tier.reward, given >= cap))
    return plan


async def request(ctx: PluginContext[ReferralSettings], referral: Referral) -> None:
    """Ask for each side's reward once; settle at once what has nothing to ask."""
    if referral.referrer_id is None or referral.referee_id is None:
        return
    now = ctx.now()
    for side, customer_id, reward, capped in await _plan(ctx, referral):
        status = "capped" if capped else "none" if reward.kind == "none" else "pending_fulfilment"
        answered = None if status == "pending_fulfilment" else now
        row = ReferralReward(
            referral_id=referral.id, side=side, customer_id=customer_id,
            reward_id=reward_id(ctx.tenant_id, referral.id, side), kind=reward.kind,
            points=reward.points, voucher_template=reward.voucher_template,
            status=status, requested_at=now, answered_at=answered,
        )  # fmt: skip
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(row)
                await ctx.session.flush()
        except IntegrityError:
            continue  # this side was requested before: never twice
        if status == "pending_fulfilment":
            await _ask(ctx, row, side)
    await settle(ctx, referral)


async def _ask(ctx: PluginContext, row: ReferralReward, side: str) -> None:
    assert row.customer_id is not None
    await ctx.emit(
        "reward.requested",
        RewardRequested(
            reward_id=row.reward_id,
            customer_id=row.customer_id,
            kind="points" if row.kind == "points" else "voucher",
            points=row.points,
            voucher_template=row.voucher_template,
            reason=REASON[side],
            source=RewardSource(plugin="referrals", type="referral", id=str(row.referral_id)),
        ),
    )


async def ask_again(ctx: PluginContext) -> int:
    """Re-emit ``reward.requested``, same ``reward_id``, for rewards still unanswered."""
    now = ctx.now()
    statement = select(ReferralReward).where(
        ReferralReward.status == "pending_fulfilment",
        ReferralReward.requested_at > now - ASK_AGAIN[0],
        ReferralReward.requested_at <= now - ASK_AGAIN[1],
    )
    rows = list((await ctx.session.scalars(statement.order_by(ReferralReward.id))).all())
    for row in rows:
        if row.customer_id is not None:
            await _ask(ctx, row, row.side)
    return len(rows)


async def settle(ctx: PluginContext, referral: Referral) -> None:
    """``rewarded`` once every side is answered (granted, rejected, capped or nothing)."""
    if referral.status != "qualified":
        return
    statuses = await ctx.session.scalars(
        select(ReferralReward.status).where(ReferralReward.referral_id == referral.id)
    )
    found = list(statuses.all())
    if found and all(s in SETTLED for s in found):
        referral.status, referral.closed_at = "rewarded", ctx.now()
        await emit(ctx, events.REWARDED.name, referral)


async def on_answer(ctx: PluginContext, event: Event) -> None:
    """``reward.granted`` / ``reward.rejected`` for one of ours: recorded once.

    The referral is locked first (PostgreSQL): the two sides' answers may be delivered on
    two workers at once, and each must see the other's outcome to know when all are in.
    """
    rid = uuid.UUID(str(event.payload["reward_id"]))
    find = select(ReferralReward.referral_id).where(ReferralReward.reward_id == rid)
    referral_id = await ctx.session.scalar(find)
    if referral_id is None:
        return  # another requester's reward
    lock = select(Referral).where(Referral.id == referral_id)
    if ctx.session.dialect == "postgresql":
        lock = lock.with_for_update()
    referral = (await ctx.session.scalars(lock)).one()
    row = (
        await ctx.session.scalars(select(ReferralReward).where(ReferralReward.reward_id == rid))
    ).one()
    if row.status == "revoked" and event.type == "reward.granted" and row.answered_at is None:
        row.answered_at = ctx.now()  # granted after we took it back: take it back again
        await _revoke(ctx, row)
        return
    if row.status != "pending_fulfilment":
        return  # answered already
    if event.type == "reward.granted":
        granted = msgspec.convert(event.payload, RewardGranted, strict=False)
        row.status, row.voucher_id = "granted", granted.voucher_id
        row.ledger_entry_id, row.value = granted.ledger_entry_id, granted.value
    else:
        rejected = msgspec.convert(event.payload, RewardRejected, strict=False)
        row.status, row.reason = "rejected", rejected.reason[:40]
    row.answered_at = ctx.now()
    await ctx.session.flush()
    await settle(ctx, referral)


REVOCABLE = ("granted", "pending_fulfilment")
REVOKED_REASON = {
    "rejected_after_reward": "推荐经复核不成立",
    "refunded_after_reward": "首单已退款",
}


async def revoke(ctx: PluginContext, referral: Referral, reason: str) -> None:
    """Take back every side given or still being asked for, once: the row turns
    ``revoked`` before ``reward.revoked`` is emitted, under the referral's lock.

    A side still unanswered is revoked too; if the fulfiller grants it afterwards,
    :func:`on_answer` sees the grant of a revoked row and asks for it back again.
    """
    statement = select(ReferralReward).where(
        ReferralReward.referral_id == referral.id, ReferralReward.status.in_(REVOCABLE)
    )
    for row in (await ctx.session.scalars(statement.order_by(ReferralReward.side))).all():
        row.answered_at = None if row.status == "pending_fulfilment" else row.answered_at
        row.status, row.reason = "revoked", reason
        await _revoke(ctx, row)
    await ctx.session.flush()


async def _revoke(ctx: PluginContext, row: ReferralReward) -> None:
    reason = REVOKED_REASON.get(row.reason or "", "推荐奖励撤回")
    await ctx.emit("reward.revoked", RewardRevoked(row.reward_id, reason))
