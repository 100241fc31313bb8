"""The trade-in funnel for a period: how far the leads opened in it got, how long each
stage took, how close the valuations were to what the cars sold for, and the margin.

Computed from the leads opened in ``[from, to)`` and their stage history, so a period's
figures do not change as later leads arrive. Store-scoped callers see their stores only
(filtered in SQL). Money is integer fen; rates are fractions (0.25 is 25%).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from pitstop.sdk import PluginContext

from .leads import scoped
from .models import Appraisal, Lead, Offer, StageChange
from .recon import recon_cost

PATH = ("lead", "appraised", "offered", "accepted", "purchased", "reconditioned", "sold")
"""The funnel's main path."""
FROM = {
    "appraised": "lead",
    "offered": "appraised",
    "accepted": "offered",
    "purchased": "accepted",
    "reconditioned": "purchased",
    "sold": "purchased",
}
"""Each stage's conversion is from the stage a lead must pass first (a car may be sold
without reconditioning, so both count from purchased)."""
SIDE = ("declined", "expired", "lost")
DAY_SECONDS = 86_400


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None without data."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(max(1, math.ceil(fraction * len(ordered))), len(ordered)) - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def funnel(reached: dict[str, int]) -> list[dict[str, Any]]:
    """Each stage of the main path: how many leads reached it, and the share of those at
    the stage before it that did."""
    return [
        {
            "stage": stage,
            "reached": reached.get(stage, 0),
            "conversion": (
                None
                if stage not in FROM
                else _rate(reached.get(stage, 0), reached.get(FROM[stage], 0))
            ),
        }
        for stage in PATH
    ]


def days_per_stage(history: dict[uuid.UUID, list[StageChange]]) -> dict[str, float | None]:
    """Median days a lead spent in each stage it left (the time to its next move)."""
    spent: dict[str, list[float]] = defaultdict(list)
    for changes in history.values():
        for here, after in itertools.pairwise(changes):
            spent[here.to_stage].append((after.at - here.at).total_seconds() / DAY_SECONDS)
    return {
        stage: None if not spent[stage] else round(statistics.median(spent[stage]), 2)
        for stage in PATH + SIDE
        if stage not in ("sold", "lost")
    }


async def kpis(
    ctx: PluginContext, start: dt.datetime, end: dt.datetime, store_id: uuid.UUID | None
) -> dict[str, Any]:
    statement = scoped(ctx, select(Lead).where(Lead.created_at >= start, Lead.created_at < end))
    if store_id is not None:
        statement = statement.where(Lead.store_id == store_id)
    leads = list((await ctx.session.scalars(statement.order_by(Lead.id))).all())
    ids = [lead.id for lead in leads]
    history: dict[uuid.UUID, list[StageChange]] = defaultdict(list)
    for change in (
        await ctx.session.scalars(
            select(StageChange)
            .where(StageChange.lead_id.in_(ids))
            .order_by(StageChange.at, StageChange.id)
        )
    ).all():
        history[change.lead_id].append(change)
    reached: dict[str, int] = defaultdict(int)
    for changes in history.values():
        for stage in {c.to_stage for c in changes}:
            reached[stage] += 1
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "store_id": None if store_id is None else str(store_id),
        "leads": len(leads),
        "funnel": funnel(reached),
        "declined": reached.get("declined", 0),
        "expired": reached.get("expired", 0),
        "lost": reached.get("lost", 0),
        "trade_in_rate": _trade_in_rate(leads),
        "median_days_per_stage": days_per_stage(history),
        **await _money(ctx, leads),
        "approvals_pending": await _pending(ctx, store_id),
    }


def _trade_in_rate(leads: list[Lead]) -> float | None:
    """Of the cars bought in, the share whose owner bought the replacement from us."""
    bought = [lead for lead in leads if lead.purchase_price is not None]
    return _rate(sum(1 for lead in bought if lead.replacement_from_us), len(bought))


async def _money(ctx: PluginContext, leads: list[Lead]) -> dict[str, Any]:
    """Offer accuracy (sale price against the valuation the accepted offer rested on) and
    gross margin per unit sold (sale − purchase − recon: the recon order's total once it
    is completed, the appraisal's estimates until then)."""
    sold = [lead for lead in leads if lead.sold_price is not None]
    accuracy: list[float] = []
    margins: list[int] = []
    for lead in sold:
        offer = await ctx.session.scalar(
            select(Offer).where(Offer.lead_id == lead.id, Offer.status == "accepted").limit(1)
        )
        if offer is None:
            continue
        appraisal = await ctx.session.get(Appraisal, (ctx.tenant_id, offer.appraisal_id))
        recon = await recon_cost(ctx, lead, appraisal)
        sold_price = lead.sold_price or 0
        if offer.valuation:
            accuracy.append((sold_price - offer.valuation) / offer.valuation)
        margins.append(sold_price - (lead.purchase_price or 0) - recon)
    p25, p75 = percentile(accuracy, 0.25), percentile(accuracy, 0.75)
    return {
        "offer_accuracy": {
            "sold": len(accuracy),
            "median": None if not accuracy else round(statistics.median(accuracy), 4),
            "spread": None if p25 is None or p75 is None else round(p75 - p25, 4),
        },
        "gross_margin_per_unit": None if not margins else round(statistics.mean(margins)),
    }


async def _pending(ctx: PluginContext, store_id: uuid.UUID | None) -> int:
    """Offers waiting for a manager now, whenever their lead was opened."""
    statement = scoped(ctx, select(Offer.id).join(Lead, Lead.id == Offer.lead_id)).where(
        Offer.status == "awaiting_approval"
    )
    if store_id is not None:
        statement = statement.where(Lead.store_id == store_id)
    return len((await ctx.session.scalars(statement)).all())
