"""Membership and points: tiers, a points ledger with lots, expiry, clawback, settlement.

The hooks are wired here; the rules live in :mod:`.ledger` (points), :mod:`.tiers`
(tiers), :mod:`.earning` (orders), :mod:`.backfill` (past orders), :mod:`.nightly` (the
schedule) and :mod:`.reports` (chain settlement). Partner-facing documentation:
``docs/plugins/membership.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from pitstop.sdk import (
    EventHandler,
    PluginContext,
    PluginInfo,
    Schedule,
    Section,
    hookimpl,
    permission,
)
from pitstop_membership import customers, earning, models, nightly
from pitstop_membership.api import MembershipController
from pitstop_membership.backfill import Since
from pitstop_membership.commands import backfill_and_audit, backfill_command
from pitstop_membership.events import EVENT_TYPES
from pitstop_membership.settings import MembershipSettings

__all__ = ["models"]

ADVISORS = {"hq_admin", "store_manager", "service_advisor"}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="membership",
        version="0.1.0",
        title="会员与积分 Membership & points",
        settings=MembershipSettings,
        permissions=(
            permission(
                "membership:read",
                "See members' points, tiers and the liability report",
                {"hq_admin", "hq_analyst", "marketing", "store_manager", "service_advisor"},
            ),
            permission("membership:redeem", "Enrol members and redeem their points", ADVISORS),
            permission(
                "membership:adjust",
                "Grant or take points by hand (audited)",
                {"hq_admin", "store_manager"},
            ),
            permission("membership:manage", "Override a member's tier for a while", {"hq_admin"}),
        ),
        events=EVENT_TYPES,
        description=(
            "Tiers on rolling spend, points in lots that expire, clawback on refunds, and a "
            "per-store liability report with the cross-store redemptions HQ settles."
        ),
    )


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def routes() -> Sequence[Any]:
    return [MembershipController]


@hookimpl
def subscriptions() -> Mapping[str, EventHandler]:
    return {
        "service_order.completed": earning.on_order_completed,
        "service_order.refunded": earning.on_order_refunded,
    }


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("nightly", "0 2 * * *", nightly.run_nightly)]


@hookimpl
def commands() -> Sequence[click.Command]:
    return [backfill_command]


DEMO_HISTORY = "12mo"


@hookimpl(tryfirst=True)
async def demo_data(ctx: PluginContext) -> str:
    """The demo's members: the last twelve months of its book, counted by the backfill.

    First among the plugins' demo data, so that what others read at intake (the customer's
    tier) is already there.
    """
    summary = await backfill_and_audit(ctx, Since.parse(DEMO_HISTORY))
    members = sum(summary.tiers.values())
    tiers = ", ".join(f"{code} {n:,}" for code, n in summary.tiers.items())
    return f"{members:,} members with points history ({tiers})"


@hookimpl
async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    return await customers.summary(ctx, customer_id)


@hookimpl
async def customer_attributes(ctx: PluginContext, customer_id: uuid.UUID) -> Mapping[str, Any]:
    return await customers.attributes(ctx, customer_id)


@hookimpl
async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> Mapping[str, Any] | None:
    return await customers.export(ctx, customer_id)


@hookimpl
async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    await customers.erase(ctx, customer_id)
