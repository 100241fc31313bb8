"""A benchmark prints each figure beside its bound and fails past any of them."""

from __future__ import annotations

import math

import pytest

from tests.bench.bounds import Bound, check


def test_figures_within_their_bounds_pass_and_are_printed_with_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given figures at and under their bounds
    # When checked
    check(Bound("guarded/plain", 1.47, 3.0), Bound("lateness p99", 40.0, 40.0, " s"))
    # Then nothing fails and each line shows the figure and its bound
    out = capsys.readouterr().out
    assert "guarded/plain" in out and "1.47x   bound <= 3x   ok" in out
    assert "40.00 s   bound <= 40 s   ok" in out


def test_a_figure_past_its_bound_fails_naming_it_after_every_figure_is_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given one figure past its bound, one never measured (infinite), and one within
    bounds = (
        Bound("bare/ledger", 13.0, 12.0),
        Bound("sweep p99", math.inf, 90.0, " s"),
        Bound("guarded/plain", 1.5, 3.0),
    )
    # When checked, Then it fails naming both, and all three were printed first
    with pytest.raises(AssertionError, match=r"bare/ledger.*PAST.*sweep p99.*inf.*PAST"):
        check(*bounds)
    assert capsys.readouterr().out.count("bound <=") == 3
