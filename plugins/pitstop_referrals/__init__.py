"""Referral rewards ("老带新"): codes, two-sided rewards after a qualifying first service,
fraud checks on what a workshop knows, a review queue and funnel KPIs.

The reward waits for the referee's first *paid, completed* service order to pass its
return window; fraud signals are the same phone, ID number or address as the referrer,
a car the referrer owned or had serviced, a referrer linking too many in a day, and the
linking staff member completing the order at once. Rewards go through the reward contract
(``reward.requested``), so without the membership plugin they stay pending. Written
against ``pitstop.sdk`` only. See ``docs/plugins/referrals.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pitstop.sdk import (
    ConsolePages,
    CustomerPanel,
    EventHandler,
    KpiTile,
    Period,
    PluginContext,
    PluginInfo,
    Schedule,
    Section,
    TaskHandler,
    hookimpl,
    permission,
)

from . import console, demo, privacy
from . import models as models  # the tables must be in the metadata
from .api import CodesController, ReferralsController
from .events import EVENT_TYPES
from .kpis import tile as kpi_tile
from .lifecycle import on_order_completed, on_order_refunded, qualify, sweep
from .rewards import ask_again, on_answer
from .settings import ReferralSettings
from .wording import DESCRIPTION, MESSAGES, TITLE

_DESK = {"hq_admin", "store_manager", "service_advisor"}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="referrals",
        version="0.1.0",
        title=TITLE,
        sdk=">=1.5,<2",
        messages=MESSAGES,
        settings=ReferralSettings,
        permissions=(
            permission(
                "referrals:read",
                "See referral codes, referrals, their signals and rewards, and the KPIs",
                _DESK | {"hq_analyst", "marketing"},
            ),
            permission(
                "referrals:manage",
                "Issue referral codes and link new customers to them",
                _DESK,
            ),
            permission(
                "referrals:review",
                "Approve or reject referrals held for review",
                {"store_manager", "hq_admin"},
            ),
        ),
        events=EVENT_TYPES,
        description=DESCRIPTION,
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [CodesController, ReferralsController]


@hookimpl
def console_pages() -> ConsolePages:
    """The review queue at ``/console/referrals/review/``, and its 360° panel's strings."""
    return console.console_pages()


@hookimpl
async def customer_panels(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    """Who referred the customer and whom they referred, at the front desk."""
    return await console.customer_panel(ctx, customer_id)


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def subscriptions() -> Mapping[str, EventHandler]:
    return {
        "service_order.completed": on_order_completed,
        "service_order.refunded": on_order_refunded,
        "reward.granted": on_answer,
        "reward.rejected": on_answer,
    }


@hookimpl
def tasks() -> Mapping[str, TaskHandler]:
    return {"qualify": qualify}


async def nightly(ctx: PluginContext[ReferralSettings]) -> None:
    """Qualify what a lost task left behind; ask once more for unanswered rewards."""
    await sweep(ctx)
    await ask_again(ctx)


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("nightly", "45 2 * * *", nightly)]


@hookimpl
async def demo_data(ctx: PluginContext) -> str | None:
    return await demo.load_demo(ctx)


@hookimpl
async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    return await privacy.customer_summary(ctx, customer_id)


@hookimpl
async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    return await privacy.export_customer(ctx, customer_id)


@hookimpl
async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    await privacy.erase_customer(ctx, customer_id)


@hookimpl
async def kpis(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    """This plugin's tile on HQ's KPI board (docs/insights.md)."""
    return await kpi_tile(ctx, period, store_id)
