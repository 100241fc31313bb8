"""When is a car's next maintenance due? A pure function of its history, no database.

The date rule counts ``months`` from the last service. The mileage rule needs the car's
own pace: km/day from its odometer readings, at least two of them, else the tenant's
default. An odometer that went backwards (a replaced cluster, a corrected typo) starts a
new scale: the drop is neither distance nor time driven, so the pace and the distance
since the last service are the sums of the forward steps only, whatever the scale. The
projected due date is the earlier of the two rules, and says which one decided.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import math
from dataclasses import dataclass

Reading = tuple[dt.date, int]
"""(day of the reading, odometer km) — oldest first."""


@dataclass(frozen=True)
class Due:
    due_date: dt.date
    reason: str
    """``date`` or ``mileage``: the rule that comes first."""
    km_per_day: float
    pace_source: str
    """``readings`` (the car's own) or ``default`` (the tenant's, too few readings)."""
    due_km: int | None
    """The odometer (on its current scale) at which the mileage rule falls due."""
    projected_km: int | None
    """The odometer today, projected from the last reading at the car's pace."""
    cycle_days: int
    """Days from the last service to the due date: one maintenance cycle of this car."""


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Aug + 6 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def pace(readings: list[Reading], default: float) -> tuple[float, str]:
    """km/day from the forward steps between readings; the default below two usable ones."""
    distance, days = 0, 0
    for (a_day, a_km), (b_day, b_km) in itertools.pairwise(readings):
        if b_km < a_km:
            continue  # a reset: a new scale starts at b
        distance += b_km - a_km
        days += (b_day - a_day).days
    if days <= 0:
        return float(default), "default"
    return distance / days, "readings"


def driven_since(readings: list[Reading], since: dt.date, start_km: int | None) -> int | None:
    """Kilometres driven since the service (forward steps only, across resets)."""
    if start_km is None:
        return None
    driven, last = 0, start_km
    for day, km in readings:
        if day < since:
            continue
        if km >= last:
            driven += km - last
        last = km
    return driven


def project_due(
    *,
    last_service: dt.date,
    last_service_km: int | None,
    readings: list[Reading],
    interval_km: int,
    interval_months: int,
    default_km_per_day: float,
    today: dt.date,
) -> Due:
    """The next due date after ``last_service``, the earlier of the date and mileage rules."""
    by_date = add_months(last_service, interval_months)
    per_day, source = pace(readings, default_km_per_day)
    driven = driven_since(readings, last_service, last_service_km)
    last_km: int | None
    if readings and (readings[-1][0] >= last_service or last_service_km is None):
        last_day, last_km = readings[-1]
    else:
        last_day, last_km = last_service, last_service_km
    projected = None if last_km is None else round(last_km + per_day * (today - last_day).days)
    if driven is None or last_km is None:
        return Due(by_date, "date", per_day, source, None, projected, (by_date - last_service).days)
    remaining = interval_km - driven
    due_km = last_km + remaining
    days_left = math.ceil(remaining / per_day) if per_day > 0 else 10**5
    by_mileage = last_day + dt.timedelta(days=min(days_left, 10**5))
    if by_mileage < by_date:
        cycle = max(1, (by_mileage - last_service).days)
        return Due(by_mileage, "mileage", per_day, source, due_km, projected, cycle)
    return Due(by_date, "date", per_day, source, due_km, projected, (by_date - last_service).days)


def state_of(due_date: dt.date, today: dt.date, overdue_after_days: int) -> str:
    """``upcoming`` before the due date, ``due`` from it, ``overdue`` after the grace."""
    if today < due_date:
        return "upcoming"
    if (today - due_date).days < overdue_after_days:
        return "due"
    return "overdue"


def missed_services(due_date: dt.date, cycle_days: int, today: dt.date) -> int:
    """Consecutive maintenances missed by ``today``: the due one, then one per cycle."""
    if today <= due_date:
        return 0
    return 1 + (today - due_date).days // max(1, cycle_days)
