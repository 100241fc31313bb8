"""Complaint handling with business-hours SLA clocks, escalation and follow-up.

Intake routes a complaint to the right person and fixes its first-response and resolution
deadlines in business time; delayed messages fire the 80% warning, the breach and each
escalation level at their exact instants, with a 30-second sweep as the backstop; a
follow-up survey closes the loop or reopens the complaint. Written against ``pitstop.sdk``
only. See ``docs/plugins/complaints.md``.
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
    ReadFirst,
    Schedule,
    Section,
    TaskHandler,
    hookimpl,
    permission,
)
from pitstop_complaints.events import EVENT_TYPES

from . import console, demo, privacy, tile
from . import models as models  # the tables must be in the metadata
from .api import ComplaintsController, KpisController, NotificationsController
from .requests import on_complaint_requested
from .settings import ComplaintSettings
from .sla import sla_check, sla_due, sla_sweep
from .wording import DESCRIPTION, MESSAGES, TITLE

_STAFF = {"hq_admin", "hq_analyst", "store_manager", "service_advisor"}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="complaints",
        version="0.1.0",
        title=TITLE,
        sdk=">=1.7,<2",
        messages=MESSAGES,
        settings=ComplaintSettings,
        permissions=(
            permission("complaints:read", "Read complaints of one's stores", _STAFF),
            permission(
                "complaints:write",
                "Log, acknowledge, work on, resolve and follow up complaints",
                {"hq_admin", "store_manager", "service_advisor"},
            ),
            permission("complaints:assign", "Reassign complaints", {"hq_admin", "store_manager"}),
            permission(
                "complaints:kpis",
                "See complaint KPIs (per store for HQ roles)",
                {"hq_admin", "hq_analyst", "store_manager"},
            ),
        ),
        events=EVENT_TYPES,
        description=DESCRIPTION,
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [ComplaintsController, NotificationsController, KpisController]


@hookimpl
def console_pages() -> ConsolePages:
    """The worklist with live SLA clocks at ``/console/complaints/``."""
    return console.console_pages()


@hookimpl
async def customer_panels(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel | None:
    return await console.customer_panel(ctx, customer_id)


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def tasks() -> Mapping[str, TaskHandler | ReadFirst]:
    return {"sla_check": ReadFirst(sla_due, sla_check)}


@hookimpl
def subscriptions() -> Mapping[str, EventHandler]:
    return {"complaint.requested": on_complaint_requested}


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("sla_sweep", "* * * * * */30", sla_sweep)]


@hookimpl
async def demo_data(ctx: PluginContext) -> str | None:
    return await demo.load_demo(ctx)


@hookimpl
async def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Section | None:
    return await privacy.customer_summary(ctx, customer_id)


@hookimpl
async def kpis(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    """SLA compliance and first-contact resolution; for those who may see complaint KPIs."""
    if ctx.principal is not None and not ctx.principal.can("complaints:kpis"):
        return None
    return await tile.tile(ctx, period, store_id)


@hookimpl
async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    return await privacy.export_customer(ctx, customer_id)


@hookimpl
async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    await privacy.erase_customer(ctx, customer_id)
