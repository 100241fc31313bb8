"""``pitstop membership ...``: the programme's operator commands.

``backfill`` is how a shop that turns membership on gets its history counted. It runs per
tenant through :func:`~pitstop.sdk.for_each_tenant` (one tenant scope and one transaction
at a time) and prints counts and tier codes only - never a customer.
"""

from __future__ import annotations

import click

from pitstop.sdk import PluginContext, for_each_tenant
from pitstop_membership.backfill import Since, SinceInvalid, Summary, backfill

AUDIT_ACTION = "membership.backfill"


def _since(_: click.Context, __: click.Parameter, value: str) -> Since:
    try:
        return Since.parse(value)
    except SinceInvalid as exc:
        raise click.BadParameter(str(exc)) from None


async def backfill_and_audit(ctx: PluginContext, since: Since) -> Summary:
    """The backfill, audited when it changed anything (a second run writes nothing)."""
    summary = await backfill(ctx, since)
    if summary.orders or summary.enrolled or summary.expired:
        await ctx.audit(
            AUDIT_ACTION,
            resource="membership",
            detail={
                "since": summary.since.isoformat(),
                "orders": summary.orders,
                "points": summary.points,
                "enrolled": summary.enrolled,
            },
        )
    return summary


@click.command("backfill")
@click.option(
    "--since",
    required=True,
    callback=_since,
    help="How far back: 12mo, 2y, 8w, 90d, or a date (2025-11-01); local midnight in the"
    " tenant's time zone.",
)
@click.option(
    "--tenant",
    "slug",
    default=None,
    help="One tenant's slug (default: every active tenant that enabled membership).",
)
def backfill_command(since: Since, slug: str | None) -> None:
    """Earn points and tiers for completed orders of the window that have not earned yet.

    Idempotent: orders that earned already (here or live) are skipped, so running it again
    changes nothing. Refunded orders earn nothing.
    """

    async def work(ctx: PluginContext) -> Summary:
        return await backfill_and_audit(ctx, since)

    for tenant, summary in for_each_tenant("membership", work, tenant=slug):
        click.echo(f"{tenant}:")
        for line in summary.lines():
            click.echo(line)
