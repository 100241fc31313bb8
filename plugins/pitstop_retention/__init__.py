"""Retention: keeping customers coming back.

Every vehicle's next maintenance is projected from its own odometer history (date or
mileage, whichever first) and reminded at the tenant's offsets, once each, stopping by
itself when the car comes in; customers are classed nightly as active, at risk, dormant
or lost; dormant ones get a recall call (and an offer through the reward contract); every
service is followed up (survey, call, care message) and a low score opens a callback
within business hours and asks for a complaint. Written against ``pitstop.sdk`` only.
See ``docs/plugins/retention.md``.
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

from . import console, demo, privacy
from . import models as models  # the tables must be in the metadata
from .api import DueController, RecomputeController, SurveysController, TasksController
from .events import EVENT_TYPES
from .follow_ups import run_step
from .history import CustomerStatesController
from .kpis import KpisController
from .kpis import tile as kpi_tile
from .nightly import nightly, recompute
from .settings import RetentionSettings
from .store_intervals import StoreIntervalsController, recompute_store
from .subscriptions import SUBSCRIPTIONS
from .survey_page import SurveyPageController
from .weekly import StatesWeeklyController
from .wording import DESCRIPTION, MESSAGES, TITLE

_DESK = {"hq_admin", "store_manager", "service_advisor"}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="retention",
        version="0.1.0",
        title=TITLE,
        sdk=">=1.7,<2",
        messages=MESSAGES,
        settings=RetentionSettings,
        permissions=(
            permission(
                "retention:read",
                "See due vehicles, the retention worklist and KPIs",
                _DESK | {"hq_analyst", "marketing"},
            ),
            permission(
                "retention:work",
                "Record call outcomes and survey answers (the front desk works the lists)",
                _DESK,
            ),
            permission(
                "retention:manage",
                "Recompute due dates and states now, and set a store's own service interval",
                {"hq_admin"},
            ),
        ),
        events=EVENT_TYPES,
        description=DESCRIPTION,
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [
        DueController,
        TasksController,
        SurveysController,
        KpisController,
        RecomputeController,
        SurveyPageController,
        StoreIntervalsController,
        CustomerStatesController,
        StatesWeeklyController,
    ]


@hookimpl
def console_pages() -> ConsolePages:
    """The due list and the calls to make, closed in one click, at ``/console/retention/``."""
    return console.console_pages()


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def subscriptions() -> Mapping[str, EventHandler]:
    return SUBSCRIPTIONS


@hookimpl
def tasks() -> Mapping[str, TaskHandler]:
    return {"follow_up": run_step, "recompute": recompute, "store_interval": recompute_store}


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("nightly", "15 3 * * *", nightly)]


@hookimpl
async def customer_attributes(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any]:
    return await privacy.attributes(ctx, customer_id)


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
async def demo_data(ctx: PluginContext) -> str | None:
    return await demo.load_demo(ctx)


@hookimpl
async def kpis(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    """This plugin's tile on HQ's KPI board (docs/insights.md)."""
    return await kpi_tile(ctx, period, store_id)
