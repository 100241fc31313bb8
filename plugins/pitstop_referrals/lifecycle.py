"""The referral's state machine, driven by the referee's service orders and the reviewer.

``pending`` → (first paid order completed, ≥ ``min_first_order``) ``qualifying`` → (the
return window of ``review_days`` passes without a refund) ``qualified`` → (every side's
reward answered) ``rewarded``. A refund inside the window, or a first paid order below the
minimum, ends it ``disqualified``; a reviewer's no ends it ``rejected``. Any fraud signal
holds it in ``review`` with ``held_status`` saying where it would be; approval resumes it.

Events are late and duplicated: every handler re-reads the referral (locked on
PostgreSQL) and acts only on the state it expects, so a second delivery changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.sdk import Event, NotFound, PluginContext, Unprocessable, get_service_order

from . import events, rewards
from .linking import emit, overlap_signals
from .models import Referral
from .settings import ReferralSettings

OPEN = ("pending", "qualifying", "review")
REWARDED_STATES = ("qualified", "rewarded")
"""Rewards were asked for: ending such a referral takes them back (``reward.revoked``)."""


async def _one(ctx: PluginContext, *where: Any) -> Referral | None:
    statement = select(Referral).where(*where)
    if ctx.session.dialect == "postgresql":
        statement = statement.with_for_update()
    return (await ctx.session.scalars(statement)).one_or_none()


def _stage(referral: Referral) -> str:
    """Where the referral stands apart from a review hold."""
    return referral.held_status if referral.status == "review" else referral.status  # type: ignore[return-value]


def _move(referral: Referral, stage: str) -> None:
    if referral.status == "review":
        referral.held_status = stage
    else:
        referral.status = stage


async def disqualify(ctx: PluginContext, referral: Referral, reason: str) -> None:
    referral.status, referral.held_status = "disqualified", None
    referral.reason, referral.closed_at = reason, ctx.now()
    await emit(ctx, events.DISQUALIFIED.name, referral, reason)


async def on_order_completed(ctx: PluginContext[ReferralSettings], event: Event) -> None:
    """The referee's first paid order: the window starts, or it was too small."""
    customer_id = uuid.UUID(event.payload["customer_id"])
    referral = await _one(ctx, Referral.referee_id == customer_id)
    total = int(event.payload["total"])
    if referral is None or referral.order_id is not None or total <= 0:
        return  # not referred, already counting an order, or a free (warranty) job
    if referral.status not in OPEN or _stage(referral) != "pending":
        return
    referral.order_id, referral.order_total = uuid.UUID(event.payload["order_id"]), total
    referral.completed_at = event.occurred_at
    if total < ctx.settings.min_first_order:
        await disqualify(ctx, referral, "first_order_below_minimum")
        return
    referral.qualifies_at = event.occurred_at + dt.timedelta(days=ctx.settings.review_days)
    _move(referral, "qualifying")
    ctx.defer("qualify", at=referral.qualifies_at, referral_id=str(referral.id))


async def on_order_refunded(ctx: PluginContext[ReferralSettings], event: Event) -> None:
    order_id = uuid.UUID(event.payload["order_id"])
    referral = await _one(ctx, Referral.order_id == order_id)
    if referral is None:
        return
    if referral.status in REWARDED_STATES and ctx.settings.revoke_on_late_refund:
        await _take_back(ctx, referral, "refunded_after_reward")
        return
    if referral.status not in OPEN or _stage(referral) != "qualifying":
        return  # refunded after the window closed (qualified), or not a referral's order
    if referral.qualifies_at is not None and event.occurred_at < referral.qualifies_at:
        await disqualify(ctx, referral, "refunded_in_window")


async def _staff_gaming(ctx: PluginContext[ReferralSettings], referral: Referral) -> bool:
    """The person who linked the referee also wrote their first order, right after."""
    if referral.order_id is None or referral.linked_by is None:
        return False
    order = await get_service_order(ctx, referral.order_id)
    if order is None or order.advisor_id != referral.linked_by or order.completed_at is None:
        return False
    minutes = dt.timedelta(minutes=ctx.settings.staff_gaming_minutes)
    return order.completed_at - referral.linked_at <= minutes


async def _signals_at_qualification(
    ctx: PluginContext[ReferralSettings], referral: Referral
) -> list[str]:
    """Signals new since the link: the records may have changed in the window (an e-mail
    or address edited, a car handed over), and the first order may be staff gaming."""
    found: list[str] = []
    if referral.referrer_id is not None and referral.referee_id is not None:
        found = await overlap_signals(ctx, referral.referrer_id, referral.referee_id)
    if await _staff_gaming(ctx, referral):
        found.append("staff_gaming")
    return [s for s in found if s not in referral.signals]


async def qualify(ctx: PluginContext[ReferralSettings], *, referral_id: str) -> None:
    """The window has passed: qualified, or held for review; then the rewards."""
    referral = await _one(ctx, Referral.id == uuid.UUID(referral_id))
    if referral is None or referral.status not in OPEN or _stage(referral) != "qualifying":
        return
    if referral.qualifies_at is None or referral.qualifies_at > ctx.now():
        return  # early (a clock moved back, a stray message): the real task comes
    found = await _signals_at_qualification(ctx, referral)
    if found:
        referral.signals = [*referral.signals, *found]
    held = (
        bool(found)
        or referral.status == "review"
        or (not referral.approved and (bool(referral.signals) or not ctx.settings.auto_approve))
    )
    if held:
        referral.status, referral.held_status = "review", "qualified"
        return
    referral.status, referral.qualified_at = "qualified", ctx.now()
    await emit(ctx, events.QUALIFIED.name, referral)
    await rewards.request(ctx, referral)


async def sweep(ctx: PluginContext[ReferralSettings]) -> int:
    """Qualify what a lost task left behind; the count, for the schedule's log."""
    statement = select(Referral.id).where(
        Referral.status == "qualifying", Referral.qualifies_at <= ctx.now()
    )
    ids = list((await ctx.session.scalars(statement)).all())
    for referral_id in ids:
        await qualify(ctx, referral_id=str(referral_id))
    return len(ids)


async def decide(
    ctx: PluginContext[ReferralSettings], referral: Referral, approve: bool, reason: str
) -> None:
    """A reviewer's approval resumes the referral where it was held; a rejection ends it -
    also after the rewards went out (fraud found later), which takes them back."""
    late = not approve and referral.status in REWARDED_STATES
    if referral.status != "review" and not late:
        raise Unprocessable.field("status", f"is {referral.status}, not review", "not_in_review")
    now = ctx.now()
    referral.reviewed_by = None if ctx.principal is None else ctx.principal.actor_id
    referral.reviewed_at = now
    verb = "approved" if approve else "rejected"
    await ctx.audit(
        f"referrals.{verb}", resource="referral", resource_id=referral.id,
        detail={"reason": reason, "signals": referral.signals},
    )  # fmt: skip
    if late:
        await _take_back(ctx, referral, "rejected_after_reward", status="rejected")
        return
    if not approve:
        referral.status, referral.held_status = "rejected", None
        referral.reason, referral.closed_at = "rejected_in_review", now
        await emit(ctx, events.DISQUALIFIED.name, referral, "rejected_in_review")
        return
    referral.approved = True
    referral.status, referral.held_status = referral.held_status or "pending", None
    if referral.status == "qualified":
        referral.qualified_at = now
        await emit(ctx, events.QUALIFIED.name, referral)
        await rewards.request(ctx, referral)


async def _take_back(
    ctx: PluginContext, referral: Referral, reason: str, *, status: str = "disqualified"
) -> None:
    """End a referral whose rewards went out, and ask for them back (each side once)."""
    referral.status, referral.held_status = status, None
    referral.reason, referral.closed_at = reason, ctx.now()
    await rewards.revoke(ctx, referral, reason)
    await emit(ctx, events.DISQUALIFIED.name, referral, reason)


async def visible(ctx: PluginContext, referral_id: uuid.UUID, *, lock: bool = False) -> Referral:
    """The referral, if the caller may see it; another tenant's or store's is not found."""
    statement = scoped(ctx, select(Referral).where(Referral.id == referral_id))
    if lock and ctx.session.dialect == "postgresql":
        statement = statement.with_for_update()
    found = (await ctx.session.scalars(statement)).one_or_none()
    if found is None:
        raise NotFound("no such referral", code="referral_not_found")
    return found


def scoped(ctx: PluginContext, statement: Any) -> Any:
    """Store-scoped staff see their stores' referrals; one without a store is HQ's."""
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        return statement.where(Referral.store_id.in_(principal.store_ids))
    return statement
