"""The demo's referrals: one in every state, between customers of the demo book.

The book's customers all have service history, so the demo does not go through the
front desk's checks (every referee would be "not new"): it writes each referral as the
state machine would have left it, dated in the past, with the referee's real first order
where one is needed. Rewards go through :func:`~.rewards.request` (``reward.requested``
waits in the outbox for membership); the ``rewarded`` one also records the answers, as
no worker runs during ``pitstop demo``. Deterministic (customers by vehicle id) and
idempotent (a tenant with codes is left alone).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pitstop.sdk import Event, PluginContext, get_customer, list_vehicles, vehicle_service_orders

from . import rewards
from .codes import new_code
from .models import Referral, ReferralCode, ReferralReward

DAY = dt.timedelta(days=1)
SCENARIOS: list[tuple[str, int]] = [
    # (the state it ends in, days ago it was linked)
    ("pending", 2),
    ("review", 3),
    ("qualifying", 5),
    ("qualified", 12),
    ("rewarded", 20),
    ("disqualified", 15),
    ("rejected", 9),
]


async def _people(ctx: PluginContext) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(customer, one of their vehicles), first vehicle per customer, by vehicle id."""
    seen: dict[uuid.UUID, uuid.UUID] = {}
    async for vehicle in list_vehicles(ctx):
        seen.setdefault(vehicle.customer_id, vehicle.id)
        if len(seen) >= 2 * len(SCENARIOS):
            break
    return list(seen.items())


async def _referral(
    ctx: PluginContext, state: str, linked: dt.datetime, pair: list[tuple[uuid.UUID, uuid.UUID]]
) -> Referral:
    (referrer, _), (referee, car) = pair
    code = ReferralCode(
        code=new_code(), customer_id=referrer, created_at=linked - DAY, expires_at=linked + 89 * DAY
    )
    ctx.session.add(code)
    await ctx.session.flush()
    customer = await get_customer(ctx, referee)
    referral = Referral(
        code_id=code.id, referrer_id=referrer, referee_id=referee,
        store_id=None if customer is None else customer.home_store_id, status=state,
        signals=["same_address"] if state in ("review", "rejected") else [],
        held_status="pending" if state == "review" else None, linked_at=linked,
    )  # fmt: skip
    if state not in ("pending", "review", "rejected"):
        history = await vehicle_service_orders(ctx, car)
        order = history[-1] if history else None
        referral.order_id = None if order is None else order.id
        referral.order_total = None if order is None else order.total
        referral.completed_at = linked + DAY
        referral.qualifies_at = linked + 8 * DAY
    if state in ("qualified", "rewarded"):
        referral.status, referral.qualified_at = "qualified", linked + 8 * DAY
    if state in ("disqualified", "rejected"):
        referral.reason = "refunded_in_window" if state == "disqualified" else "rejected_in_review"
        referral.closed_at = linked + 3 * DAY
    ctx.session.add(referral)
    await ctx.session.flush()
    return referral


async def _answer_all(ctx: PluginContext, referral: Referral) -> None:
    statement = select(ReferralReward).where(ReferralReward.referral_id == referral.id)
    for row in (await ctx.session.scalars(statement)).all():
        payload = {"reward_id": str(row.reward_id)}
        answer = Event(uuid.uuid5(row.reward_id, "demo"), "reward.granted", ctx.tenant_id,
                       ctx.now(), payload)  # fmt: skip
        await rewards.on_answer(ctx, answer)


async def load_demo(ctx: PluginContext) -> str | None:
    if await ctx.session.scalar(select(func.count()).select_from(ReferralCode)):
        return None  # loaded before
    people = await _people(ctx)
    made = 0
    for i, (state, days_ago) in enumerate(SCENARIOS):
        pair = people[2 * i : 2 * i + 2]
        if len(pair) < 2:
            break
        linked = ctx.now() - days_ago * DAY
        referral = await _referral(ctx, state, linked, pair)
        if state in ("qualified", "rewarded"):
            at = ctx.as_of(linked + 8 * DAY)
            await rewards.request(at, referral)
        if state == "rewarded":
            await _answer_all(ctx.as_of(linked + 9 * DAY), referral)
        made += 1
    return f"{made} referrals"
