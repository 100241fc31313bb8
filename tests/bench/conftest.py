"""``make bench`` ends with every figure of the run beside its bound and goal.

Each benchmark prints its own table as it runs, between minutes of other output; issue 21
asks for its rows side by side from one run, so the bounds every benchmark checked are
gathered (:data:`tests.bench.bounds.CHECKED`) and printed together at the end, passed or
not, with the goal each one has and whether it is met.
"""

from __future__ import annotations

from itertools import groupby

import pytest

from tests.bench.bounds import CHECKED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHECKED:
        return
    terminalreporter.section("every benchmark's figures, bounds and goals")
    for test, rows in groupby(CHECKED, key=lambda checked: checked[0]):
        terminalreporter.write_line(test or "(outside a test)")
        for _, bound in rows:
            terminalreporter.write_line(bound.line())
    goals = [bound for _, bound in CHECKED if bound.goal is not None]
    met = sum(bound.value <= bound.goal for bound in goals if bound.goal is not None)
    terminalreporter.write_line(f"goals met: {met} of {len(goals)}")
