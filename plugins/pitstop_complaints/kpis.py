"""Complaint KPIs for a period: volume, first-contact resolution, SLA compliance, business-time
durations, satisfaction, reopens and repeat complainants - chain-wide and per store.

Durations are business time on each complaint's own calendar, minus the time it spent
waiting for the customer, so a store is not blamed for a night or for the customer's
silence. Store-scoped callers see their stores only (filtered in SQL).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from pitstop.sdk import Calendar, PluginContext

from .clocks import calendar_of
from .models import Complaint


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (p50 = median of an odd list); None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def load(
    ctx: PluginContext, start: dt.datetime, end: dt.datetime, store_id: uuid.UUID | None
) -> list[Complaint]:
    statement = select(Complaint).where(Complaint.created_at >= start, Complaint.created_at < end)
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        statement = statement.where(Complaint.store_id.in_(principal.store_ids))
    if store_id is not None:
        statement = statement.where(Complaint.store_id == store_id)
    return list((await ctx.session.scalars(statement.order_by(Complaint.id))).all())


class _Calendars:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx, self.cache = ctx, dict[tuple[uuid.UUID, str], Calendar]()

    async def of(self, complaint: Complaint) -> Calendar:
        key = (complaint.store_id, complaint.calendar)
        if key not in self.cache:
            self.cache[key] = await calendar_of(self.ctx, *key)
        return self.cache[key]


async def summarise(ctx: PluginContext, complaints: list[Complaint]) -> dict[str, Any]:
    calendars = _Calendars(ctx)
    respond, resolve = [], []
    for c in complaints:
        calendar = await calendars.of(c)
        if c.response_met_at is not None:
            respond.append(calendar.elapsed(c.created_at, c.response_met_at).total_seconds())
        if c.resolution_met_at is not None:
            spent = calendar.elapsed(c.resolution_started_at, c.resolution_met_at)
            resolve.append(max(spent.total_seconds() - c.paused_seconds, 0.0))
    resolved = [c for c in complaints if c.resolution_met_at is not None]
    surveyed = [c.satisfaction for c in complaints if c.satisfaction is not None]
    per_customer = Counter(c.customer_id for c in complaints)
    return {
        "count": len(complaints),
        "by_severity": dict(Counter(c.severity for c in complaints)),
        "by_category": dict(Counter(c.category for c in complaints)),
        "first_contact_resolution_rate": _rate(
            sum(1 for c in resolved if c.first_contact), len(resolved)
        ),
        "sla_compliance": {
            "first_response": _compliance(complaints, "response"),
            "resolution": _compliance(complaints, "resolution"),
        },
        "time_to_respond_seconds": _spread(respond),
        "time_to_resolve_seconds": _spread(resolve),
        "satisfaction": {
            "surveyed": len(surveyed),
            "mean": round(statistics.fmean(surveyed), 2) if surveyed else None,
            "satisfied_rate": _rate(sum(1 for s in surveyed if s >= 4), len(surveyed)),
        },
        "reopen_rate": _rate(sum(1 for c in complaints if c.reopen_count), len(complaints)),
        "repeat_complainants": sum(1 for n in per_customer.values() if n > 1),
    }


def _compliance(complaints: list[Complaint], clock: str) -> float | None:
    """Met without a breach, among clocks that have ended (met or breached)."""
    ended = [
        c
        for c in complaints
        if getattr(c, f"{clock}_met_at") is not None
        or getattr(c, f"{clock}_breached_at") is not None
    ]
    kept = sum(1 for c in ended if getattr(c, f"{clock}_breached_at") is None)
    return _rate(kept, len(ended))


def _spread(values: list[float]) -> dict[str, float | None]:
    return {
        "median": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
    }


async def kpis(
    ctx: PluginContext, start: dt.datetime, end: dt.datetime, store_id: uuid.UUID | None
) -> dict[str, Any]:
    complaints = await load(ctx, start, end, store_id)
    report = {"from": start, "to": end, **await summarise(ctx, complaints)}
    principal = ctx.principal
    if principal is None or principal.store_ids is None:
        by_store: dict[uuid.UUID, list[Complaint]] = defaultdict(list)
        for c in complaints:
            by_store[c.store_id].append(c)
        report["by_store"] = {
            str(store): await summarise(ctx, items) for store, items in sorted(by_store.items())
        }
    return report
