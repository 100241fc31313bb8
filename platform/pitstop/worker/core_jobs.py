"""The core's own nightly jobs, run per tenant like a plugin's schedule.

The scheduler fires each job at its cron time in every time zone a tenant uses, finds the
active tenants of that zone (ids only: ``tenants`` is a platform table) and sends one
``pitstop.run_core_job`` message per tenant; the worker runs the job in that tenant's scope
and one transaction. Today there are two, after the day's orders are in: the daily rollups'
repair and back-fill (``pitstop.crm.rollups``) at 02:15 local time, and the RFM scoring
(``pitstop.insights.rfm``) at 02:30.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm import rollups
from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import current_tenant_id
from pitstop.insights import rfm
from pitstop.tenancy.models import Tenant, TenantStatus

log = structlog.get_logger("pitstop.worker")


@dataclass(frozen=True)
class CoreJob:
    name: str
    cron: str
    run: Callable[[AsyncSession, dt.datetime], Awaitable[Any]]


CORE_JOBS = {
    job.name: job
    for job in (
        CoreJob("insights.rollups", "15 2 * * *", rollups.nightly),
        CoreJob("insights.rfm", "30 2 * * *", rfm.run),
    )
}


async def run_core_job(sessions: SessionFactory, clock: Clock, name: str) -> None:
    """One tenant's run of a core job, in one transaction (the tenant is the message's)."""
    tenant_id = current_tenant_id()
    job = CORE_JOBS.get(name)
    if job is None:
        log.warning("core_job_unknown", job=name)
        return
    async with sessions() as session, session.begin():
        await job.run(session, clock())
    log.info("core_job_done", job=name, tenant_id=str(tenant_id))


async def active_tenants(sessions: SessionFactory, timezone: str) -> list[uuid.UUID]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Tenant.id).where(
                Tenant.timezone == timezone, Tenant.status == TenantStatus.active
            )
        )
        return list(rows.all())
