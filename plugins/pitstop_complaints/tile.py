"""Complaints' tile on the KPI board, every figure one aggregate statement.

For complaints opened in the period, at the stores in scope:

* ``complaints`` - how many were opened.
* ``first_response_sla`` / ``resolution_sla`` - clocks kept without a breach, over clocks
  that ended (met or breached): the same rule as the complaints report (``kpis.py``).
* ``first_contact_resolution_rate`` - resolved at first contact, over resolved.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, func, select

from pitstop.sdk import KpiTile, Period, PluginContext

from .models import Complaint


def _scope(ctx: PluginContext, store_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        conditions.append(Complaint.store_id.in_(sorted(principal.store_ids)))
    if store_id is not None:
        conditions.append(Complaint.store_id == store_id)
    return conditions


def _rate(part: Any, whole: Any) -> float | None:
    return round(int(part) / int(whole), 4) if whole else None


async def tile(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile:
    c = Complaint
    count = func.count()
    response_ended = c.response_met_at.is_not(None) | c.response_breached_at.is_not(None)
    resolution_ended = c.resolution_met_at.is_not(None) | c.resolution_breached_at.is_not(None)
    resolved = c.resolution_met_at.is_not(None)
    statement = select(
        count,
        count.filter(response_ended),
        count.filter(response_ended, c.response_breached_at.is_(None)),
        count.filter(resolution_ended),
        count.filter(resolution_ended, c.resolution_breached_at.is_(None)),
        count.filter(resolved),
        count.filter(resolved, c.first_contact.is_(True)),
    ).where(c.created_at >= period.start_at, c.created_at < period.end_at, *_scope(ctx, store_id))
    row = (await ctx.session.execute(statement)).one()
    return KpiTile(
        title="Complaints",
        figures={
            "complaints": int(row[0]),
            "first_response_sla": _rate(row[2], row[1]),
            "resolution_sla": _rate(row[4], row[3]),
            "first_contact_resolution_rate": _rate(row[6], row[5]),
        },
    )
