"""The due projection as a table: a pure function of a car's history, no database.

Each row gives the last service (day, km), the odometer readings, the interval and today,
and the due date, the rule that decided it and the pace the car was projected at.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pitstop_retention.projection import (
    Reading,
    add_months,
    missed_services,
    pace,
    project_due,
    state_of,
)
from pitstop_retention.settings import RetentionSettings, ServiceInterval

D = dt.date
SERVICE = D(2026, 1, 10)
TODAY = D(2026, 3, 10)


def r(day: str, km: int) -> Reading:
    return (D.fromisoformat(day), km)


# (name, last service km, readings, interval km, months, default km/day,
#  expected due date, reason, km/day, pace source)
CASES = [
    ("no readings: date rule, default pace", None, [], 5_000, 6, 40,
     D(2026, 7, 10), "date", 40.0, "default"),
    ("service reading only: default pace decides mileage", 10_000, [r("2026-01-10", 10_000)],
     5_000, 6, 40, D(2026, 5, 15), "mileage", 40.0, "default"),
    ("service reading only, slow default: date rule", 10_000, [r("2026-01-10", 10_000)],
     5_000, 6, 20, D(2026, 7, 10), "date", 20.0, "default"),
    ("two readings, 100 km/day: mileage first", 10_000,
     [r("2026-01-10", 10_000), r("2026-02-09", 13_000)], 5_000, 6, 40,
     D(2026, 3, 1), "mileage", 100.0, "readings"),
    ("two readings, 10 km/day: date first", 10_000,
     [r("2026-01-10", 10_000), r("2026-02-09", 10_300)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 10.0, "readings"),
    ("pace from the whole history, not only since service", 10_000,
     [r("2025-01-10", 0), r("2026-01-10", 10_000)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 10_000 / 365, "readings"),
    ("exactly on both rules the date rule wins a tie", 0,
     [r("2026-01-10", 0), r("2026-01-20", 276)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 27.6, "readings"),
    ("two readings the same day: default pace", 10_000,
     [r("2026-01-10", 10_000), r("2026-01-10", 10_050)], 5_000, 6, 40,
     D(2026, 5, 14), "mileage", 40.0, "default"),
    ("odometer reset after service: distance on both scales", 50_000,
     [r("2026-01-10", 50_000), r("2026-01-20", 51_000), r("2026-01-21", 0),
      r("2026-01-31", 1_000)], 5_000, 6, 40,
     D(2026, 3, 2), "mileage", 100.0, "readings"),
    ("reset before the service: only forward steps count, date rule", 1_000,
     [r("2025-12-01", 80_000), r("2025-12-02", 0), r("2026-01-10", 1_000)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 1_000 / 39, "readings"),
    ("a correction down then up again", 20_000,
     [r("2026-01-10", 20_000), r("2026-01-20", 21_000), r("2026-01-21", 20_900),
      r("2026-01-31", 21_900)], 5_000, 6, 40,
     D(2026, 3, 2), "mileage", 100.0, "readings"),
    ("already past the mileage: due in the past", 10_000,
     [r("2026-01-10", 10_000), r("2026-02-10", 16_000)], 5_000, 6, 40,
     D(2026, 2, 5), "mileage", 6_000 / 31, "readings"),
    ("a 3-month interval", None, [], 5_000, 3, 40, D(2026, 4, 10), "date", 40.0, "default"),
    ("a 12-month, 10,000 km interval", 0, [r("2026-01-10", 0), r("2026-02-09", 600)],
     10_000, 12, 40, D(2027, 1, 10), "date", 20.0, "readings"),
    ("a 12-month, 10,000 km interval driven hard", 0,
     [r("2026-01-10", 0), r("2026-02-09", 3_000)], 10_000, 12, 40,
     D(2026, 4, 20), "mileage", 100.0, "readings"),
    ("no service km but readings: date rule only", None,
     [r("2026-01-10", 10_000), r("2026-02-09", 13_000)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 100.0, "readings"),
    ("a parked car (no distance): date rule", 30_000,
     [r("2026-01-10", 30_000), r("2026-02-09", 30_000)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 0.0, "readings"),
    ("three readings, uneven pace averaged", 0,
     [r("2026-01-10", 0), r("2026-01-20", 2_000), r("2026-02-09", 2_000)], 5_000, 6, 40,
     D(2026, 3, 26), "mileage", 2_000 / 30, "readings"),
    ("readings older than the service extend the pace only", 40_000,
     [r("2025-07-10", 35_000), r("2026-01-10", 40_000)], 5_000, 6, 40,
     D(2026, 7, 10), "date", 5_000 / 184, "readings"),
    ("a reading after service shortens the mileage wait", 40_000,
     [r("2025-12-10", 37_000), r("2026-01-10", 40_000), r("2026-02-10", 44_000)], 5_000, 6, 40,
     D(2026, 2, 19), "mileage", 7_000 / 62, "readings"),
    ("default pace zero-like (1 km/day): date rule", 0, [r("2026-01-10", 0)], 5_000, 6, 1,
     D(2026, 7, 10), "date", 1.0, "default"),
    ("a reset with a single reading after it", 60_000,
     [r("2026-01-10", 60_000), r("2026-02-01", 10)], 5_000, 6, 40,
     D(2026, 6, 6), "mileage", 40.0, "default"),
    ("200 km a day: due within weeks", 0, [r("2026-01-10", 0), r("2026-01-20", 2_000)],
     5_000, 6, 40, D(2026, 2, 4), "mileage", 200.0, "readings"),
    ("a new cluster: driving resumes on the new scale", 120_000,
     [r("2026-01-10", 120_000), r("2026-01-11", 5), r("2026-01-31", 1_005)], 5_000, 6, 40,
     D(2026, 4, 21), "mileage", 50.0, "readings"),
    ("readings all before the service: the service's km is the base", 50_000,
     [r("2025-10-10", 45_000), r("2025-11-10", 46_000)], 5_000, 6, 40,
     D(2026, 6, 14), "mileage", 1_000 / 31, "readings"),
    ("a one-month interval", None, [], 5_000, 1, 40, D(2026, 2, 10), "date", 40.0, "default"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("km", "readings", "interval_km", "months", "default", "due", "reason", "per_day", "source"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_due_projection(
    km: int | None,
    readings: list[Reading],
    interval_km: int,
    months: int,
    default: int,
    due: dt.date,
    reason: str,
    per_day: float,
    source: str,
) -> None:
    # Given a car's last service and readings; When its next due is projected
    found = project_due(
        last_service=SERVICE,
        last_service_km=km,
        readings=readings,
        interval_km=interval_km,
        interval_months=months,
        default_km_per_day=default,
        today=TODAY,
    )
    # Then the date, the deciding rule and the pace are the car's own
    assert (found.due_date, found.reason, found.pace_source) == (due, reason, source)
    assert found.km_per_day == pytest.approx(per_day)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2027, 8, 31), 6, D(2028, 2, 29)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
    ],
)
def test_months_clamp_to_the_months_end(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("due", "today", "state"),
    [
        (D(2026, 3, 11), TODAY, "upcoming"),
        (TODAY, TODAY, "due"),
        (D(2026, 3, 4), TODAY, "due"),
        (D(2026, 3, 3), TODAY, "overdue"),
    ],
)
def test_states_around_the_due_date(due: dt.date, today: dt.date, state: str) -> None:
    assert state_of(due, today, overdue_after_days=7) == state


@pytest.mark.parametrize(
    ("today", "missed"),
    [(D(2026, 7, 10), 0), (D(2026, 7, 11), 1), (D(2027, 1, 6), 1), (D(2027, 1, 11), 2)],
)
def test_missed_services_count_whole_cycles(today: dt.date, missed: int) -> None:
    assert missed_services(D(2026, 7, 10), 181, today) == missed


def test_pace_of_nothing_is_the_default() -> None:
    assert pace([], 40) == (40.0, "default")


def test_a_makes_interval_comes_before_a_stores_and_a_stores_before_the_chains() -> None:
    # Given the chain's 5,000 km, Teslas at 20,000 km, and a store's own 3,000 km
    settings = RetentionSettings(interval_by_make={"Tesla": ServiceInterval(20_000, 12)})
    store = ServiceInterval(3_000, 3)
    # Then a Tesla keeps its maker's, another car takes the store's, else the chain's
    assert settings.interval_for("Tesla", store).km == 20_000
    assert settings.interval_for("Toyota", store).km == 3_000
    assert settings.interval_for("Toyota", None).km == 5_000
