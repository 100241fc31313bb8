"""Appraisals: the car inspected, checked against the shop's own odometer readings, valued.

The rollback check is what no outside buyer can do: the shop has read this car's
odometer at every visit. A reading below the highest one it ever recorded is flagged and
refused (422) unless the appraiser confirms it with a reason (a replaced cluster, a
typo at an earlier visit). An appraisal is locked once an offer is made on it; appraising
again makes a new version and keeps the old one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pitstop.sdk import (
    PluginContext,
    Unprocessable,
    get_vehicle,
    mileage_readings,
    vehicle_service_orders,
)

from . import events, leads
from .models import Appraisal, Lead, PriceRow
from .schemas import AppraisalCreate
from .settings import TradeinSettings
from .stages import check_move
from .valuation import PARTS, Car, age_in_months, value


async def highest_recorded_km(ctx: PluginContext, lead: Lead) -> int | None:
    """The highest odometer reading the shop recorded for the car, at any visit."""
    readings = [r.mileage_km for r in await mileage_readings(ctx, lead.vehicle_id)]
    orders = [o.mileage_km for o in await vehicle_service_orders(ctx, lead.vehicle_id)]
    known = [km for km in (*readings, *orders) if km is not None]
    return max(known) if known else None


async def on_time_pct(
    ctx: PluginContext[TradeinSettings], lead: Lead, purchased: dt.date | None
) -> float | None:
    """Share of the car's services that came within ``interval_days`` of the one before
    (the first one: of the purchase date, when known). None without service history."""
    history = [o.completed_at for o in await vehicle_service_orders(ctx, lead.vehicle_id)]
    visits = [at for at in history if at is not None]
    if not visits:
        return None
    limit = dt.timedelta(days=ctx.settings.history_bonus_pct.interval_days)
    previous: list[dt.datetime | None] = [None, *visits[:-1]]
    if purchased is not None:
        previous[0] = dt.datetime.combine(purchased, dt.time(), tzinfo=dt.UTC)
    judged = [(p, v) for p, v in zip(previous, visits, strict=True) if p is not None]
    if not judged:
        return 100.0
    on_time = sum(1 for p, v in judged if v - p <= limit)
    return 100.0 * on_time / len(judged)


async def _book_value(
    ctx: PluginContext, data: AppraisalCreate, make: str | None, model: str | None, year: int | None
) -> tuple[int, str, str]:
    if data.book_value is not None:
        if data.book_value_source is None:
            raise Unprocessable.field(
                "book_value_source", "required with a hand-entered book_value"
            )
        return (
            data.book_value,
            data.book_value_source,
            f"entered by hand ({data.book_value_source})",
        )
    row = await ctx.session.scalar(
        select(PriceRow).where(
            PriceRow.make == make, PriceRow.model == model, PriceRow.year == year
        )
    )
    if row is None:
        raise Unprocessable.field(
            "book_value", "the price table has no row for this make, model and year: enter it"
        )
    return row.base_value, "price_table", f"price table {make} {model} {year}"


def _age_months(now: dt.datetime, purchased: dt.date | None, year: int | None) -> int:
    months = age_in_months(now.date(), purchased, year)
    if months is None:
        raise Unprocessable.field(
            "vehicle_id", "the vehicle has neither a purchase date nor a year"
        )
    return months


async def appraise(
    ctx: PluginContext[TradeinSettings], lead: Lead, data: AppraisalCreate
) -> Appraisal:
    check_move(lead.stage, "appraised")
    vehicle = await get_vehicle(ctx, lead.vehicle_id)
    assert vehicle is not None  # a lead's vehicle is a foreign key of the tenant
    highest = await highest_recorded_km(ctx, lead)
    suspected = highest is not None and data.odometer_km < highest
    if suspected and not (data.confirm_odometer and data.odometer_reason):
        raise Unprocessable.field(
            "odometer_km",
            f"below the {highest} km the shop recorded: odometer rollback suspected;"
            " confirm with confirm_odometer and odometer_reason",
            code="odometer_rollback_suspected",
        )
    base, source, note = await _book_value(ctx, data, vehicle.make, vehicle.model, vehicle.year)
    parts = {p: getattr(data.inspection, p) for p in PARTS}
    inspection = {p: {"grade": part.grade, "note": part.note} for p, part in parts.items()}
    car = Car(
        base_value=base,
        age_months=_age_months(ctx.now(), vehicle.purchase_date, vehicle.year),
        odometer_km=data.odometer_km,
        inspection={p: part.grade for p, part in parts.items()},
        accident=data.accident,
        flood=data.flood,
        on_time_pct=await on_time_pct(ctx, lead, vehicle.purchase_date),
        recon=[item.estimate for item in data.recon_items],
        base_note=note,
    )
    result = value(car, ctx.settings)
    version = (
        int(
            await ctx.session.scalar(
                select(func.coalesce(func.max(Appraisal.version), 0)).where(
                    Appraisal.lead_id == lead.id
                )
            )
            or 0
        )
        + 1
    )
    appraisal = Appraisal(
        lead_id=lead.id,
        version=version,
        odometer_km=data.odometer_km,
        inspection=inspection,
        accident=data.accident,
        flood=data.flood,
        keys=data.keys,
        book_value=base,
        book_value_source=source,
        recon_items=[{"category": i.category, "estimate": i.estimate} for i in data.recon_items],
        grade=result.grade,
        valuation=result.valuation,
        breakdown=[{"step": s.step, "amount": s.amount, "note": s.note} for s in result.breakdown],
        highest_recorded_km=highest,
        rollback_suspected=suspected,
        rollback_reason=data.odometer_reason if suspected else None,
        appraiser_id=None if ctx.principal is None else ctx.principal.actor_id,
        created_at=ctx.now(),
    )
    ctx.session.add(appraisal)
    await ctx.session.flush()
    await leads.move(
        ctx,
        lead,
        "appraised",
        verb="appraised",
        detail={
            "appraisal_id": str(appraisal.id),
            "version": version,
            "valuation": result.valuation,
            "rollback_suspected": suspected,
        },
    )
    await ctx.emit(
        events.APPRAISED.name,
        events.Appraised(
            lead.id, appraisal.id, lead.store_id, version, result.grade, result.valuation, suspected
        ),
    )
    return appraisal


async def latest(ctx: PluginContext, lead: Lead) -> Appraisal | None:
    return await ctx.session.scalar(
        select(Appraisal)
        .where(Appraisal.lead_id == lead.id)
        .order_by(Appraisal.version.desc())
        .limit(1)
    )
