"""The valuation, table-driven: each factor on its own with figures worked by hand, then
together. Base ¥100,000 (10,000,000 fen); a new car with the expected mileage, graded A,
without history or recon, is worth exactly its base, so each row isolates one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from pitstop_tradein.settings import TradeinSettings
from pitstop_tradein.valuation import PARTS, Car, age_in_months, value

BASE = 10_000_000
ORDER = ["base", "age", "mileage", "condition", "history", "recon", "valuation"]


def grades(*scores: int) -> dict[str, int]:
    return dict(zip(PARTS, scores if len(scores) == 5 else scores * 5, strict=True))


@dataclass(frozen=True)
class Case:
    id: str
    car: dict[str, Any]
    step: str
    amount: int
    """The amount the step shows, worked by hand."""
    valuation: int
    grade: str = "A"
    settings: dict[str, Any] = field(default_factory=dict)


def aged(months: int) -> dict[str, Any]:
    """A car of that age with exactly the expected 15,000 km a year: no mileage step."""
    return {"age_months": months, "odometer_km": 15_000 * months // 12}


def driven(km: int) -> dict[str, Any]:
    """A one-year-old car (¥85,000 after age) with ``km`` on the clock."""
    return {"age_months": 12, "odometer_km": km}


CASES = [
    # age: 15%/yr declining for three years, then 10%/yr, a part year pro rata
    Case("age new", aged(0), "age", 0, BASE),
    Case("age 6 months", aged(6), "age", -750_000, 9_250_000),
    Case("age 1 year", aged(12), "age", -1_500_000, 8_500_000),
    Case("age 2 years", aged(24), "age", -2_775_000, 7_225_000),
    Case("age 3 years", aged(36), "age", -3_858_750, 6_141_250),
    Case("age 3.5 years", aged(42), "age", -4_165_812, 5_834_188),
    Case("age 4 years", aged(48), "age", -4_472_875, 5_527_125),
    Case("age 5 years, half a fen up", aged(60), "age", -5_025_587, 4_974_413),
    Case(
        "age curve without first years",
        aged(24),
        "age",
        -1_900_000,
        8_100_000,
        settings={"depreciation": {"first_years": 0}},
    ),
    Case(
        "age steeper first years",
        aged(12),
        "age",
        -2_000_000,
        8_000_000,
        settings={"depreciation": {"first_years_pct": 20}},
    ),
    # mileage: 2% per 10,000 km off the 15,000 km/yr the age predicts, capped at 30%
    Case("mileage as expected", driven(15_000), "mileage", 0, 8_500_000),
    Case("mileage 10,000 km over", driven(25_000), "mileage", -170_000, 8_330_000),
    Case("mileage 10,000 km under", driven(5_000), "mileage", 170_000, 8_670_000),
    Case("mileage 25,000 km over", driven(40_000), "mileage", -425_000, 8_075_000),
    Case("mileage never driven", driven(0), "mileage", 255_000, 8_755_000),
    Case("mileage capped at 30%", driven(315_000), "mileage", -2_550_000, 5_950_000),
    Case(
        "mileage 5% per 10,000",
        driven(25_000),
        "mileage",
        -425_000,
        8_075_000,
        settings={"mileage_adjustment": {"pct_per_10000_km": 5}},
    ),
    Case(
        "mileage cap 1%",
        driven(25_000),
        "mileage",
        -85_000,
        8_415_000,
        settings={"mileage_adjustment": {"max_pct": 1}},
    ),
    Case(
        "mileage 25,000 km/yr expected",
        driven(25_000),
        "mileage",
        0,
        8_500_000,
        settings={"mileage_adjustment": {"expected_km_per_year": 25_000}},
    ),
    # condition: the average panel grade makes A-D; an accident caps at C, a flood at D
    Case("grade A", {"inspection": grades(5, 5, 4, 4, 5)}, "condition", 0, BASE),
    Case(
        "grade B at 4.4",
        {"inspection": grades(5, 4, 4, 4, 5)},
        "condition",
        -700_000,
        9_300_000,
        "B",
    ),
    Case("grade B", {"inspection": grades(4)}, "condition", -700_000, 9_300_000, "B"),
    Case("grade C", {"inspection": grades(3)}, "condition", -1_500_000, 8_500_000, "C"),
    Case(
        "grade C at 2.6",
        {"inspection": grades(3, 3, 3, 2, 2)},
        "condition",
        -1_500_000,
        8_500_000,
        "C",
    ),
    Case(
        "grade D at 2.4",
        {"inspection": grades(2, 2, 3, 3, 2)},
        "condition",
        -3_000_000,
        7_000_000,
        "D",
    ),
    Case("grade D", {"inspection": grades(1)}, "condition", -3_000_000, 7_000_000, "D"),
    Case(
        "accident caps A at C",
        {"inspection": grades(5), "accident": True},
        "condition",
        -1_500_000,
        8_500_000,
        "C",
    ),
    Case(
        "accident leaves D at D",
        {"inspection": grades(2), "accident": True},
        "condition",
        -3_000_000,
        7_000_000,
        "D",
    ),
    Case(
        "flood makes D",
        {"inspection": grades(5), "flood": True},
        "condition",
        -3_000_000,
        7_000_000,
        "D",
    ),
    Case(
        "tenant's B factor",
        {"inspection": grades(4)},
        "condition",
        -1_000_000,
        9_000_000,
        "B",
        {"condition_factors": {"A": 1.0, "B": 0.9, "C": 0.85, "D": 0.7}},
    ),
    # history: +3% when at least 80% of services came on time
    Case("history 80% on time", {"on_time_pct": 80.0}, "history", 300_000, 10_300_000),
    Case("history all on time", {"on_time_pct": 100.0}, "history", 300_000, 10_300_000),
    Case("history just short", {"on_time_pct": 79.9}, "history", 0, BASE),
    Case("history unknown", {"on_time_pct": None}, "history", 0, BASE),
    Case(
        "history tenant's bonus",
        {"on_time_pct": 60.0},
        "history",
        500_000,
        10_500_000,
        settings={"history_bonus_pct": {"pct": 5, "min_on_time_pct": 50}},
    ),
    # recon: every estimate comes off, fen for fen; the valuation never goes below zero
    Case("recon two items", {"recon": [100_000, 250_000]}, "recon", -350_000, 9_650_000),
    Case("recon none", {"recon": []}, "recon", 0, BASE),
    Case("recon above the value", {"recon": [20_000_000]}, "recon", -20_000_000, 0),
    # every factor at once, worked through step by step
    Case(
        "all factors",
        {**aged(48), "inspection": grades(4), "on_time_pct": 90.0, "recon": [100_000]},
        "valuation",
        5_194_433,
        5_194_433,
        "B",
    ),
    Case(
        "all factors, high mileage",
        {"age_months": 48, "odometer_km": 110_000, "inspection": grades(3)},
        "mileage",
        -552_712,
        4_228_251,
        "C",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_factor_of_the_valuation(case: Case) -> None:
    # Given a car and the tenant's valuation settings
    settings = msgspec.convert(case.settings, TradeinSettings)
    car = Car(
        **{
            "base_value": BASE,
            "age_months": 0,
            "odometer_km": 0,
            "inspection": grades(5),
            **case.car,
        }
    )
    # When it is valued
    result = value(car, settings)
    steps = {s.step: s.amount for s in result.breakdown}
    # Then the step shows the amount worked by hand, and the valuation and grade follow
    assert steps[case.step] == case.amount
    assert (result.valuation, result.grade) == (case.valuation, case.grade)
    # And every step is there, in order, each with its amount, adding up to the valuation
    assert [s.step for s in result.breakdown] == ORDER
    assert all(isinstance(s.amount, int) for s in result.breakdown)
    changes = sum(s.amount for s in result.breakdown if s.step != "valuation")
    assert result.valuation == max(0, changes)


def test_there_are_at_least_thirty_cases_and_every_step_is_exercised() -> None:
    assert len(CASES) >= 30
    assert {c.step for c in CASES} >= set(ORDER) - {"base"}


@pytest.mark.parametrize(
    ("today", "purchased", "year", "months"),
    [
        ("2026-03-10", "2022-03-10", None, 48),
        ("2026-03-09", "2022-03-10", None, 47),
        ("2026-03-10", None, 2020, 68),
        ("2026-03-10", "2027-01-01", None, 0),
        ("2026-03-10", None, None, None),
    ],
)
def test_age_counts_whole_months_from_purchase_else_mid_model_year(
    today: str, purchased: str | None, year: int | None, months: int | None
) -> None:
    # Given a car's purchase date or model year, When its age is taken on a day
    import datetime as dt

    bought = dt.date.fromisoformat(purchased) if purchased else None
    # Then it is whole months since then, never negative, unknown without either
    assert age_in_months(dt.date.fromisoformat(today), bought, year) == months
