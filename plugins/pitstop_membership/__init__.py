"""Membership and points: tiers, a points ledger with lots, expiry, clawback, settlement.

The hooks are wired here; the rules live in :mod:`.ledger` (points), :mod:`.tiers`
(tiers), :mod:`.earning` (orders), :mod:`.backfill` (past orders), :mod:`.nightly` (the
schedule) and :mod:`.reports` (chain settlement); vouchers in :mod:`.vouchers` (issuing),
:mod:`.voucher_redemption` (on service orders), :mod:`.voucher_nightly` (expiry) and
:mod:`.rewards` (the reward contract's fulfiller). Partner-facing documentation:
``docs/plugins/membership.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from pitstop.sdk import (
    ConsolePages,
    CustomerPanel,
    DiscountOffer,
    Event,
    EventHandler,
    KpiTile,
    Period,
    PluginContext,
    PluginInfo,
    Schedule,
    Section,
    ServiceOrderView,
    hookimpl,
    permission,
)
from pitstop_membership import console as console_panel
from pitstop_membership import (
    customers,
    earning,
    models,
    nightly,
    rewards,
    voucher_customers,
    voucher_demo,
    voucher_nightly,
    voucher_redemption,
)
from pitstop_membership.api import MembershipController
from pitstop_membership.backfill import Since
from pitstop_membership.commands import backfill_and_audit, backfill_command
from pitstop_membership.events import EVENT_TYPES
from pitstop_membership.kpis import tile as kpis_tile
from pitstop_membership.settings import MembershipSettings
from pitstop_membership.voucher_api import VoucherController
from pitstop_membership.voucher_events import VOUCHER_EVENT_TYPES
from pitstop_membership.wording import DESCRIPTION, MESSAGES, TITLE

__all__ = ["models"]

ADVISORS = {"hq_admin", "store_manager", "service_advisor"}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="membership",
        version="0.1.0",
        title=TITLE,
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
            permission(
                "membership:vouchers",
                "Design voucher templates, issue and void vouchers",
                {"hq_admin", "marketing"},
            ),
        ),
        sdk=">=1.5,<2",
        messages=MESSAGES,
        events=EVENT_TYPES + VOUCHER_EVENT_TYPES,
        description=DESCRIPTION,
    )


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def routes() -> Sequence[Any]:
    return [MembershipController, VoucherController]


@hookimpl
def subscriptions() -> Mapping[str, EventHandler]:
    return {
        "service_order.completed": on_order_completed,
        "service_order.refunded": on_order_refunded,
        "reward.requested": rewards.on_reward_requested,
        "reward.revoked": rewards.on_reward_revoked,
    }


async def on_order_completed(ctx: PluginContext, event: Event) -> None:
    """Points are earned and the vouchers on the order redeemed, in one delivery."""
    await earning.on_order_completed(ctx, event)
    await voucher_redemption.on_order_completed(ctx, event)


async def on_order_refunded(ctx: PluginContext, event: Event) -> None:
    await earning.on_order_refunded(ctx, event)
    await voucher_redemption.on_order_refunded(ctx, event)


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [
        Schedule("nightly", "0 2 * * *", nightly.run_nightly),
        Schedule("vouchers", "10 2 * * *", voucher_nightly.run),
    ]


@hookimpl
def console_pages() -> ConsolePages:
    """No page of its own yet: the templates and strings of its 360° panel."""
    return console_panel.console_pages()


@hookimpl
async def customer_panels(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    """Tier, points and usable vouchers at the front desk."""
    return await console_panel.customer_panel(ctx, customer_id)


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
    vouchers = await voucher_demo.issue_demo_vouchers(ctx)
    return f"{members:,} members with points history ({tiers}); {vouchers}"


@hookimpl
async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    section = await customers.summary(ctx, customer_id)
    return await voucher_customers.with_vouchers(ctx, customer_id, section)


@hookimpl
async def customer_attributes(ctx: PluginContext, customer_id: uuid.UUID) -> Mapping[str, Any]:
    return await customers.attributes(ctx, customer_id)


@hookimpl
async def customer_filter(ctx: PluginContext, name: str, value: str) -> Any | None:
    """``tier``: the customer list narrowed to the members of a tier (docs/plugins.md)."""
    return customers.with_tier(ctx, value) if name == "tier" else None


@hookimpl
async def kpis(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    """Points outstanding and member against non-member average ticket (see ``kpis``); for
    those who may read membership figures."""
    if ctx.principal is not None and not ctx.principal.can("membership:read"):
        return None
    return await kpis_tile(ctx, period, store_id)


@hookimpl
async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> Mapping[str, Any] | None:
    data = await customers.export(ctx, customer_id)
    vouchers = await voucher_customers.export(ctx, customer_id)
    if data is None and not vouchers:
        return None
    return {**(data or {}), "vouchers": vouchers}


@hookimpl
async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    await customers.erase(ctx, customer_id)
    await voucher_customers.erase(ctx, customer_id)


@hookimpl
async def redeem_code(
    ctx: PluginContext, order: ServiceOrderView, code: str
) -> DiscountOffer | None:
    return await voucher_redemption.redeem_code(ctx, order, code)
