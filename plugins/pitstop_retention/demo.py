"""The demo's retention: the fleet's due dates (some upcoming, some due, some overdue, with
their reminders), customers' states (active, at risk, dormant with a recall, lost), the
last two weeks' services followed up, and their surveys answered — low scores with a
callback — each through the plugin's own services.

Deterministic: scores are derived from each order's id; everything else from the book
and the clock. Idempotent: a tenant with any due row is left alone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pitstop.sdk import PluginContext, completed_service_orders

from . import follow_ups
from .models import Survey, VehicleDue
from .nightly import run
from .settings import RetentionSettings

FOLLOWED_UP = dt.timedelta(days=14)


async def _follow_up_recent(ctx: PluginContext[RetentionSettings]) -> int:
    """Follow-ups of the last two weeks' services, each scheduled when it completed."""
    made = 0
    since = ctx.now() - FOLLOWED_UP
    async for order in completed_service_orders(ctx, since=since, until=ctx.now()):
        assert order.completed_at is not None
        at = ctx.as_of(order.completed_at)
        made += (
            await follow_ups.schedule(
                at, order.id, order.customer_id, order.store_id, order.completed_at
            )
            is not None
        )
    return made


async def _answer_surveys(ctx: PluginContext[RetentionSettings]) -> int:
    """Two of every three surveys answered two days on, scores derived from the order id."""
    surveys = (await ctx.session.scalars(select(Survey).order_by(Survey.order_id))).all()
    answered = 0
    for survey in surveys:
        seed = survey.order_id.int
        if seed % 3 == 0:
            continue  # still waiting for the customer
        at = min(survey.created_at + dt.timedelta(days=2), ctx.now())
        csi, nps = 1 + seed % 5, seed % 11
        await follow_ups.answer(ctx.as_of(at), survey, csi, nps, None)
        answered += 1
    return answered


async def load_demo(ctx: PluginContext[RetentionSettings]) -> str | None:
    if await ctx.session.scalar(select(func.count()).select_from(VehicleDue)):
        return None  # loaded before
    followed = await _follow_up_recent(ctx)
    summary = await run(ctx)
    answered = await _answer_surveys(ctx)
    states = ", ".join(f"{summary.get(s, 0)} {s}" for s in ("active", "at_risk", "dormant", "lost"))
    return (
        f"{summary['vehicles']} vehicles projected, {summary['reminders']} reminders,"
        f" {states}; {followed} services followed up, {answered} surveys answered"
    )
