"""Benchmarks state their bounds beside their figures, and fail past them.

A bound is today's measured reality with a margin for a shared, noisy 2-core machine, so
a benchmark fails on a regression, not on noise. The goals are tighter: issue 21 wants
the platform within 2x of the bare stack it stands on (event delivery and the points
ledger at most 2x, SLA timers p99 at most 2 s). When a change meets a goal, lower the
bound to the new reality with the same margin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """``label`` measured ``value`` (in ``unit``); it must be at most ``limit``."""

    label: str
    value: float
    limit: float
    unit: str = "x"
    goal: float | None = None
    """Issue 21's goal for the figure, printed beside the bound (met or not)."""

    @property
    def holds(self) -> bool:
        return self.value <= self.limit

    def line(self) -> str:
        verdict = "ok" if self.holds else "PAST THE BOUND"
        goal = ""
        if self.goal is not None:
            met = "met" if self.value <= self.goal else "not met"
            goal = f"   (goal <= {self.goal:.3g}{self.unit}: {met})"
        return (
            f"  {self.label:<44} {self.value:8.2f}{self.unit}"
            f"   bound <= {self.limit:g}{self.unit}   {verdict}{goal}"
        )


CHECKED: list[tuple[str, Bound]] = []
"""Every bound checked in this run and the benchmark that checked it, for the summary
``make bench`` ends with (``tests/bench/conftest.py``)."""


def check(*bounds: Bound) -> None:
    """Print every figure with its bound, then fail naming each one past it."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].rpartition("/")[2]
    CHECKED.extend((test, bound) for bound in bounds)
    print("bounds:")
    for bound in bounds:
        print(bound.line())
    past = [b.line().strip() for b in bounds if not b.holds]
    assert not past, "past the bound: " + "; ".join(past)
