"""Each churn rule on its own, as a table: a pure function of visit days, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from pitstop_retention.churn import classify
from pitstop_retention.settings import RetentionSettings

D = dt.date
TODAY = D(2026, 3, 10)
RULES = RetentionSettings()


@pytest.mark.parametrize(
    ("visits", "missed", "complaint", "expected"),
    [
        ([], 0, None, None),
        ([D(2026, 1, 10)], 0, None, ("active", [])),
        ([D(2026, 1, 10)], 2, None, ("at_risk", ["missed_services"])),
        ([D(2026, 1, 10)], 1, None, ("active", [])),
        ([D(2025, 9, 1), D(2025, 10, 1), D(2025, 11, 1)], 0, None,
         ("at_risk", ["long_interval"])),
        ([D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1)], 0, None, ("active", [])),
        ([D(2026, 1, 10)], 0, D(2026, 3, 2), ("at_risk", ["complaint_unresolved"])),
        ([D(2026, 1, 10)], 0, D(2026, 3, 3), ("active", [])),
        ([D(2025, 9, 1), D(2025, 10, 1)], 3, D(2026, 1, 1),
         ("at_risk", ["missed_services", "long_interval", "complaint_unresolved"])),
        ([D(2025, 3, 10)], 0, None, ("dormant", [])),
        ([D(2025, 3, 11)], 3, None, ("at_risk", ["missed_services"])),
        ([D(2024, 3, 10)], 0, None, ("lost", [])),
        ([D(2024, 3, 11)], 0, None, ("dormant", [])),
    ],
    ids=[
        "no visit: no state", "recent visit", "two missed", "one missed", "long gap",
        "regular", "complaint 8 days open", "complaint 7 days open", "all three",
        "12 months: dormant", "a day short of dormant", "24 months: lost",
        "a day short of lost",
    ],
)  # fmt: skip
def test_each_rule(
    visits: list[dt.date],
    missed: int,
    complaint: dt.date | None,
    expected: tuple[str, list[str]] | None,
) -> None:
    # Given a customer's visits, missed maintenances and an open complaint
    # When classified today, Then the state and reasons follow the rules
    found = classify(RULES, visits, TODAY, missed=missed, complaint_open_since=complaint)
    assert found == expected
