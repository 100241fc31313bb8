"""The customer's side: the 360° section, data-subject export and erasure.

Erasure keeps the counts and drops the links: the referral rows, codes and rewards stay
(the funnel and a referrer's yearly cap are business records), but every column naming
the erased person becomes NULL, so nothing leads back to them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select, update

from pitstop.sdk import PluginContext, Section, unmasked_builtins

from .lifecycle import scoped
from .models import Referral, ReferralCode, ReferralReward
from .schemas import code_out, referral_out, reward_out

SHARE = "{code}"


async def _referrals(ctx: PluginContext, customer_id: uuid.UUID, *, scope: bool) -> list[Referral]:
    statement = select(Referral).where(
        or_(Referral.referrer_id == customer_id, Referral.referee_id == customer_id)
    )
    if scope:
        statement = scoped(ctx, statement)
    return list((await ctx.session.scalars(statement.order_by(Referral.id))).all())


async def _rewards(ctx: PluginContext, customer_id: uuid.UUID) -> list[ReferralReward]:
    statement = select(ReferralReward).where(ReferralReward.customer_id == customer_id)
    return list((await ctx.session.scalars(statement.order_by(ReferralReward.id))).all())


async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    found = await _referrals(ctx, customer_id, scope=True)
    if not found:
        return None
    by = next((r for r in found if r.referee_id == customer_id), None)
    made = [r for r in found if r.referrer_id == customer_id]
    visible = {r.id for r in found}
    rewards = [r for r in await _rewards(ctx, customer_id) if r.referral_id in visible]
    return Section(
        title="Referrals",
        data={
            "referred_by": None
            if by is None
            else {
                "referral_id": str(by.id),
                "referrer_id": str(by.referrer_id),
                "status": by.status,
            },
            "referred": len(made),
            "referred_rewarded": sum(r.status == "rewarded" for r in made),
            "rewards": [
                {"side": r.side, "kind": r.kind, "points": r.points, "status": r.status}
                for r in rewards
            ],
        },
    )


def _by(referral: Referral) -> dict[str, Any]:
    return {
        "referral_id": str(referral.id),
        "referrer_id": None if referral.referrer_id is None else str(referral.referrer_id),
        "status": referral.status,
    }


async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    """The customer's own referrals, codes and rewards, raw (the export route is audited)."""
    found = await _referrals(ctx, customer_id, scope=False)
    codes = (
        await ctx.session.scalars(
            select(ReferralCode).where(ReferralCode.customer_id == customer_id)
        )
    ).all()
    rewards = await _rewards(ctx, customer_id)
    if not (found or codes or rewards):
        return None
    return {
        "codes": unmasked_builtins([code_out(c, SHARE) for c in codes]),
        "referrals": unmasked_builtins([referral_out(r) for r in found]),
        "rewards": unmasked_builtins([reward_out(r) for r in rewards]),
    }


async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    for column in (Referral.referrer_id, Referral.referee_id):
        await ctx.session.execute(
            update(Referral).where(column == customer_id).values({column.key: None})
        )
    await ctx.session.execute(
        update(ReferralCode).where(ReferralCode.customer_id == customer_id).values(customer_id=None)
    )
    await ctx.session.execute(
        update(ReferralReward)
        .where(ReferralReward.customer_id == customer_id)
        .values(customer_id=None)
    )
