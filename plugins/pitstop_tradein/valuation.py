"""The valuation of a used car, every factor shown: base → age → mileage → condition grade
→ history bonus → recon estimate → valuation.

Pure: no session, no clock. The appraisal stores what this returns, so a customer who asks
"why this price" is shown the same steps the advisor saw. Money is integer fen; each step
is rounded half up to the fen on its own, so the steps add up exactly to the valuation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .settings import TradeinSettings

PARTS = ("exterior", "interior", "mechanical", "tyres", "electrical")


@dataclass(frozen=True)
class Step:
    step: str
    amount: int
    """A change in fen (negative lowers the value); ``base`` and ``valuation`` are totals."""
    note: str


@dataclass(frozen=True)
class Car:
    """What the appraiser established, reduced to what the valuation needs."""

    base_value: int
    age_months: int
    odometer_km: int
    inspection: Mapping[str, int]
    """Each of :data:`PARTS` graded 1 (poor) to 5 (as new)."""
    accident: bool = False
    flood: bool = False
    on_time_pct: float | None = None
    """Share of services done on time, in percent; None without any service history."""
    recon: Sequence[int] = ()
    """Reconditioning estimates, in fen."""
    base_note: str = "book value"


@dataclass(frozen=True)
class Valuation:
    grade: str
    valuation: int
    breakdown: tuple[Step, ...]


def _fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pct(value: float) -> Decimal:
    return Decimal(str(value)) / 100


def grade_of(inspection: Mapping[str, int], *, accident: bool, flood: bool) -> str:
    """A from an average of 4.5, B from 3.5, C from 2.5, else D; an accident caps the
    grade at C and a flood at D, whatever the panels look like now."""
    average = Decimal(sum(inspection[p] for p in PARTS)) / len(PARTS)
    grade = "A" if average >= 4.5 else "B" if average >= 3.5 else "C" if average >= 2.5 else "D"
    if flood:
        return "D"
    if accident and grade in ("A", "B"):
        return "C"
    return grade


def age_factor(months: int, settings: TradeinSettings) -> tuple[Decimal, str]:
    """What is left after depreciation: declining balance per year, a part year pro rata."""
    curve = settings.depreciation
    left, year, remaining = Decimal(1), 0, Decimal(months) / 12
    while remaining > 0:
        share = min(remaining, Decimal(1))
        rate = curve.first_years_pct if year < curve.first_years else curve.later_pct
        left *= 1 - _pct(rate) * share
        remaining -= share
        year += 1
    years = (Decimal(months) / 12).quantize(Decimal("0.1"))
    return left, (
        f"{years} years: {curve.first_years_pct}%/yr for the first {curve.first_years},"
        f" then {curve.later_pct}%/yr"
    )


def mileage_pct(months: int, odometer_km: int, settings: TradeinSettings) -> Decimal:
    """Minus ``pct_per_10000_km`` per 10,000 km above what the age predicts (plus below),
    capped at ``max_pct`` either way."""
    rule = settings.mileage_adjustment
    expected = Decimal(rule.expected_km_per_year) * months / 12
    pct = -(Decimal(odometer_km) - expected) / 10_000 * Decimal(str(rule.pct_per_10000_km))
    cap = Decimal(str(rule.max_pct))
    return max(-cap, min(cap, pct))


def value(car: Car, settings: TradeinSettings) -> Valuation:
    steps = [Step("base", car.base_value, car.base_note)]
    current = Decimal(car.base_value)

    def apply(step: str, new: Decimal, note: str) -> None:
        nonlocal current
        amount = _fen(new) - _fen(current)
        steps.append(Step(step, amount, note))
        current = Decimal(_fen(current) + amount)

    left, note = age_factor(car.age_months, settings)
    apply("age", current * left, note)
    pct = mileage_pct(car.age_months, car.odometer_km, settings)
    expected = settings.mileage_adjustment.expected_km_per_year * car.age_months // 12
    apply("mileage", current * (1 + pct / 100), f"{car.odometer_km} km vs {expected} expected")
    grade = grade_of(car.inspection, accident=car.accident, flood=car.flood)
    factor = Decimal(str(settings.condition_factors[grade]))
    flags = "".join(f", {f}" for f, on in (("accident", car.accident), ("flood", car.flood)) if on)
    apply("condition", current * factor, f"grade {grade} x{factor}{flags}")
    bonus = settings.history_bonus_pct
    if car.on_time_pct is not None and car.on_time_pct >= bonus.min_on_time_pct:
        apply("history", current * (1 + _pct(bonus.pct)), f"{car.on_time_pct:.0f}% on time")
    else:
        shown = "no service history" if car.on_time_pct is None else f"{car.on_time_pct:.0f}%"
        apply("history", current, f"{shown} on time: no bonus")
    recon = sum(car.recon)
    apply("recon", current - recon, f"{len(car.recon)} reconditioning items")
    total = max(0, _fen(current))
    steps.append(Step("valuation", total, "never below zero" if _fen(current) < 0 else ""))
    return Valuation(grade, total, tuple(steps))


def age_in_months(today: dt.date, purchased: dt.date | None, year: int | None) -> int | None:
    """From the purchase date, else from the middle of the model year; never negative.
    None when the car has neither."""
    start = purchased or (dt.date(year, 7, 1) if year is not None else None)
    if start is None:
        return None
    months = (today.year - start.year) * 12 + today.month - start.month
    return max(0, months - (1 if today.day < start.day else 0))
