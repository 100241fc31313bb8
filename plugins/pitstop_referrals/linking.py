"""Linking a newly registered customer to a referrer's code, with the link-time checks.

Refusals are 422s with a stable ``code`` the front desk can act on; fraud *signals* are
not refusals: the referral is kept and held for a reviewer (``status = review``), because
a shared address is also what a real family has. Signals are names only (``same_address``)
computed by the core, so the plugin never reads the phone or address it compares.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pitstop.sdk import (
    PluginContext,
    Unprocessable,
    customer_history,
    customer_overlap,
    get_customer,
)

from . import events
from .codes import desk_store, normalised
from .models import Referral, ReferralCode
from .schemas import LinkIn
from .settings import ReferralSettings

OVERLAP_SIGNALS = {
    "id_number": "same_id_number",
    "address": "same_address",
    "vehicle_owned": "vehicle_owned_by_referrer",
    "vehicle_serviced": "vehicle_serviced_for_referrer",
    "email": "same_household",
    "vehicle_passed_on": "same_household",
}
"""The core's overlap names (SDK 1.4) as signals. A household, as far as the shop's records
show one, is people at one address, behind one e-mail address, or handing a car between
them; the address is its own signal, so ``same_household`` names the other two."""
VEHICLE_SIGNALS = {"vehicle_owned_by_referrer", "vehicle_serviced_for_referrer"}
VELOCITY_WINDOW = dt.timedelta(hours=24)


def refused(code: str, field: str, message: str) -> Unprocessable:
    return Unprocessable.field(field, message, code=code)


async def _code(ctx: PluginContext, text: str) -> ReferralCode:
    statement = select(ReferralCode).where(ReferralCode.code == normalised(text))
    found = (await ctx.session.scalars(statement)).one_or_none()
    if found is None or found.customer_id is None:
        raise refused("code_unknown", "code", "no such referral code")
    if found.expires_at <= ctx.now():
        raise refused("code_expired", "code", "the code has expired")
    return found


async def overlap_signals(
    ctx: PluginContext, referrer_id: uuid.UUID, referee_id: uuid.UUID
) -> list[str]:
    """What the two share, as sorted signal names; a name a later core adds is ignored."""
    shared = await customer_overlap(ctx, referee_id, referrer_id)
    return sorted({OVERLAP_SIGNALS[s] for s in shared if s in OVERLAP_SIGNALS})


async def signals_at_link(
    ctx: PluginContext[ReferralSettings], referrer_id: uuid.UUID, referee_id: uuid.UUID
) -> list[str]:
    found = await overlap_signals(ctx, referrer_id, referee_id)
    since = ctx.now() - VELOCITY_WINDOW
    recent = await ctx.session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(Referral.referrer_id == referrer_id, Referral.linked_at > since)
    )
    if (recent or 0) >= ctx.settings.velocity_limit:
        found.append("velocity")
    return found


async def link(ctx: PluginContext[ReferralSettings], data: LinkIn) -> Referral:
    code = await _code(ctx, data.code)
    referrer_id = code.customer_id
    assert referrer_id is not None  # _code refuses an erased referrer's code
    referee = await get_customer(ctx, data.referee_customer_id)
    if referee is None or referee.erased or referee.internal:  # nor is the shop referred
        raise refused("unknown_customer", "referee_customer_id", "no such customer")
    if referee.id == referrer_id:
        raise refused("self_referral", "referee_customer_id", "a customer cannot refer themselves")
    taken = await ctx.session.scalar(select(Referral.id).where(Referral.referee_id == referee.id))
    if taken is not None:
        raise refused("already_referred", "referee_customer_id", "already has a referral")
    signals = await signals_at_link(ctx, referrer_id, referee.id)
    history = set(await customer_history(ctx, referee.id))
    if history == {"vehicle_seen"} and VEHICLE_SIGNALS & set(signals):
        history.clear()  # the car was the referrer's: a signal for review, not a refusal
    if history:
        raise refused("referee_not_new", "referee_customer_id", "not a new customer")
    referral = Referral(
        code_id=code.id,
        referrer_id=referrer_id,
        referee_id=referee.id,
        store_id=await desk_store(ctx, data.store_id, referee.home_store_id),
        status="review" if signals else "pending",
        held_status="pending" if signals else None,
        signals=signals,
        linked_by=None if ctx.principal is None else ctx.principal.actor_id,
        linked_at=ctx.now(),
    )
    ctx.session.add(referral)
    await ctx.session.flush()
    await ctx.audit(
        "referrals.linked", resource="referral", resource_id=referral.id,
        detail={"signals": signals},
    )  # fmt: skip
    await emit(ctx, events.LINKED.name, referral)
    return referral


async def emit(
    ctx: PluginContext, type_: str, referral: Referral, reason: str | None = None
) -> None:
    """Ids and the state only; an erased side's id is gone, so the event is skipped."""
    if referral.referrer_id is None or referral.referee_id is None:
        return
    await ctx.emit(
        type_,
        events.ReferralEvent(
            referral_id=referral.id,
            referrer_id=referral.referrer_id,
            referee_id=referral.referee_id,
            store_id=referral.store_id,
            status=referral.status,
            reason=reason,
        ),
    )
