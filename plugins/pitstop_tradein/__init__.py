"""Used-car trade-ins from the shop's own service history.

Candidates are found every night from the cars the shop already services; an appraisal
checks the odometer against every reading the shop ever took and values the car in
shown steps; offers expire on time and above the tenant's thresholds wait for a manager;
a state machine carries each lead from first contact to the car sold on. Written against
``pitstop.sdk`` only. See ``docs/plugins/tradein.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pitstop.sdk import (
    ConsolePages,
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

from . import console, demo, privacy, rewards, tile
from . import models as models  # the tables must be in the metadata
from .api import (
    AppraisalsController,
    CandidatesController,
    KpisController,
    PriceTableController,
)
from .candidates import score_candidates
from .events import EVENT_TYPES
from .lead_api import LeadsController
from .offers import expire_offer, sweep
from .settings import TradeinSettings
from .wording import DESCRIPTION, MESSAGES, TITLE

_DESK = {"hq_admin", "store_manager", "service_advisor"}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="tradein",
        version="0.1.0",
        title=TITLE,
        sdk=">=1.5,<2",
        messages=MESSAGES,
        settings=TradeinSettings,
        permissions=(
            permission(
                "tradein:read",
                "See trade-in candidates, leads, appraisals and offers",
                _DESK | {"hq_analyst"},
            ),
            permission(
                "tradein:candidates",
                "See tonight's trade-in candidates (without tradein:read: consented only)",
                _DESK | {"hq_analyst", "marketing"},
            ),
            permission(
                "tradein:appraise",
                "Open leads, appraise cars, mark them reconditioned or lost",
                {"service_advisor", "store_manager"},
            ),
            permission(
                "tradein:offer",
                "Make offers, record the customer's answer, purchase and sale",
                {"service_advisor", "store_manager"},
            ),
            permission(
                "tradein:approve",
                "Approve or reject offers above the thresholds; the price table",
                {"store_manager", "hq_admin"},
            ),
        ),
        events=EVENT_TYPES,
        description=DESCRIPTION,
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [
        CandidatesController,
        PriceTableController,
        LeadsController,
        KpisController,
        AppraisalsController,
    ]


@hookimpl
def console_pages() -> ConsolePages:
    """The leads board by stage at ``/console/tradein/``."""
    return console.console_pages()


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def subscriptions() -> Mapping[str, EventHandler]:
    return {"reward.granted": rewards.on_answer, "reward.rejected": rewards.on_answer}


@hookimpl
def tasks() -> Mapping[str, TaskHandler]:
    return {"expire_offer": expire_offer}


async def nightly(ctx: PluginContext[TradeinSettings]) -> None:
    """Expire what the tasks missed, ask again for purchase rewards nobody answered, then
    rescore the fleet."""
    await sweep(ctx)
    await rewards.ask_again(ctx)
    await score_candidates(ctx)


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("nightly", "30 2 * * *", nightly)]


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
    """Appraisals, purchases and their conversion on HQ's KPI board (``tile``), for those
    who may read trade-in figures."""
    return await tile.tile(ctx, period, store_id)
