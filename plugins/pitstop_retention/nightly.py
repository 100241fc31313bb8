"""The nightly run, per tenant: recompute every vehicle's due date and send the reminders
the day has reached, batch by batch; then assess each customer's state; then sweep
follow-up steps whose deferred message was lost. One tenant's run is one transaction (the
host's), its memory a batch of vehicles plus one visit list per customer.
"""

from __future__ import annotations

from pitstop.sdk import PluginContext

from . import churn, due, follow_ups, reminders
from .settings import RetentionSettings


async def nightly(ctx: PluginContext[RetentionSettings]) -> None:
    await run(ctx)


async def recompute(ctx: PluginContext[RetentionSettings]) -> None:
    """The task behind ``POST /recompute``: the same work, asked for by a manager."""
    await run(ctx)


async def run(ctx: PluginContext[RetentionSettings]) -> dict[str, int]:
    """The nightly work; returns what it did (audited as ``retention.nightly``)."""
    fleet = due.Fleet(intervals=await due.store_intervals(ctx))
    vehicles = sent = 0
    async for batch in due.batches(ctx):
        rows = await due.recompute_batch(ctx, batch, fleet)
        sent += await reminders.remind(ctx, rows)
        vehicles += len(batch)
    states = await churn.assess(ctx, fleet)
    swept = await follow_ups.sweep(ctx)
    summary = {"vehicles": vehicles, "reminders": sent, "follow_ups_swept": swept, **states}
    await ctx.audit("retention.nightly", resource="schedule", detail=summary)
    return summary
