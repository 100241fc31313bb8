"""Trade-in candidates, found every night from the shop's own records.

Each vehicle of the tenant is scored against the tenant's rules: its age (from the
purchase date, else the model year) must be inside the window, and it scores for a high
odometer (the last reading the shop took, projected to today at the car's own km/day)
and for a lot spent on repairs over the last 12 months. Each met rule is a reason; the
score is the sum of their weights. A vehicle that no longer qualifies leaves the list.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from pitstop.sdk import (
    PluginContext,
    VehicleView,
    completed_service_orders,
    get_customers,
    list_vehicles,
)

from .models import Candidate
from .settings import TradeinSettings
from .valuation import age_in_months

WEIGHTS = {"age": 40, "odometer": 30, "repair_spend": 30}
HISTORY_START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class History:
    """What the shop's orders say about one vehicle."""

    store_id: uuid.UUID | None = None
    readings: list[tuple[dt.datetime, int]] = field(default_factory=list)
    recent_spend: int = 0


async def _histories(ctx: PluginContext) -> dict[uuid.UUID, History]:
    now = ctx.now()
    year_ago = now - dt.timedelta(days=365)
    found: dict[uuid.UUID, History] = {}
    async for order in completed_service_orders(ctx, since=HISTORY_START, until=now):
        history = found.setdefault(order.vehicle_id, History())
        history.store_id = order.store_id  # oldest first: the last one stays
        if order.completed_at is not None and order.mileage_km is not None:
            history.readings.append((order.completed_at, order.mileage_km))
        if order.completed_at is not None and order.completed_at >= year_ago:
            history.recent_spend += order.total
    return found


def projected_km(
    now: dt.datetime,
    readings: list[tuple[dt.datetime, int]],
    start: dt.date | None,
    latest_km: int | None,
) -> int | None:
    """The odometer today: the last reading plus the car's own km/day since it was taken
    (from its first and last readings, else from its start of life)."""
    if not readings:
        return latest_km
    (first_at, first_km), (last_at, last_km) = readings[0], readings[-1]
    days = (last_at - first_at).total_seconds() / 86_400
    if days >= 30:
        per_day = max(0.0, (last_km - first_km) / days)
    elif start is not None:
        lived = (last_at.date() - start).days
        per_day = last_km / lived if lived > 0 else 0.0
    else:
        per_day = 0.0
    return round(last_km + per_day * (now - last_at).total_seconds() / 86_400)


def reasons_for(
    settings: TradeinSettings, age_months: int | None, km: int | None, spend: int
) -> list[str]:
    """The rules the vehicle meets; empty when it is not a candidate."""
    rules = settings.candidate_rules
    low, high = rules.min_vehicle_age_years, rules.max_vehicle_age_years
    if low.enabled or high.enabled:
        if age_months is None:
            return []
        if (low.enabled and age_months < low.value * 12) or (
            high.enabled and age_months > high.value * 12
        ):
            return []
    met = ["age"] if (low.enabled or high.enabled) else []
    if rules.min_odometer_km.enabled and km is not None and km >= rules.min_odometer_km.value:
        met.append("odometer")
    if rules.recent_repair_spend.enabled and spend >= rules.recent_repair_spend.value:
        met.append("repair_spend")
    return met if set(met) - {"age"} else []


def _score(
    vehicle: VehicleView, history: History, ctx: PluginContext[TradeinSettings]
) -> Candidate | None:
    now = ctx.now()
    age = age_in_months(now.date(), vehicle.purchase_date, vehicle.year)
    start = vehicle.purchase_date or (dt.date(vehicle.year, 7, 1) if vehicle.year else None)
    km = projected_km(now, history.readings, start, vehicle.mileage_km)
    reasons = reasons_for(ctx.settings, age, km, history.recent_spend)
    if not reasons:
        return None
    return Candidate(
        vehicle_id=vehicle.id,
        customer_id=vehicle.customer_id,
        store_id=history.store_id,
        score=sum(WEIGHTS[r] for r in reasons),
        reasons=reasons,
        age_months=age,
        projected_km=km,
        recent_spend=history.recent_spend,
        scored_at=now,
    )


async def _with_customers(ctx: PluginContext) -> int:
    """Copy each candidate's owner's marketing consent; drop those of erased customers
    (a car whose owner asked to be forgotten is nobody's trade-in prospect). A car the shop
    never serviced goes to its owner's home store, so a store's staff see their own
    customers' cars, not only the ones they happened to work on. The shop's own stock (the
    internal customer's cars: ones it bought in) is nobody's trade-in either."""
    rows = list((await ctx.session.scalars(select(Candidate))).all())
    customers = await get_customers(ctx, {c.customer_id for c in rows})
    erased = 0
    for row in rows:
        found = customers.get(row.customer_id)
        if found is None or found.erased or found.internal:
            await ctx.session.delete(row)
            erased += 1
            continue
        row.marketing_consent = found.marketing_consent
        if row.store_id is None:
            row.store_id = found.home_store_id
    return erased


async def score_candidates(ctx: PluginContext[TradeinSettings]) -> int:
    """The nightly run: rescore every vehicle, keep each candidate's id while it stays one."""
    histories = await _histories(ctx)
    existing = {c.vehicle_id: c for c in (await ctx.session.scalars(select(Candidate))).all()}
    kept: set[uuid.UUID] = set()
    async for vehicle in list_vehicles(ctx):
        fresh = _score(vehicle, histories.get(vehicle.id, History()), ctx)
        if fresh is None:
            continue
        kept.add(vehicle.id)
        old = existing.get(vehicle.id)
        if old is None:
            ctx.session.add(fresh)
            continue
        for name in (
            "customer_id",
            "store_id",
            "score",
            "reasons",
            "age_months",
            "projected_km",
            "recent_spend",
            "scored_at",
        ):
            setattr(old, name, getattr(fresh, name))
    gone = [vid for vid in existing if vid not in kept]
    if gone:
        await ctx.session.execute(delete(Candidate).where(Candidate.vehicle_id.in_(gone)))
    await ctx.session.flush()
    erased = await _with_customers(ctx)
    await ctx.audit(
        "tradein.candidates_scored",
        resource="schedule",
        detail={"candidates": len(kept) - erased, "dropped": len(gone) + erased},
    )
    return len(kept) - erased
