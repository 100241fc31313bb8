"""Quiet hours in the tenant's zone (a DST-free one and a DST one), caps, template checks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pitstop.errors import Unprocessable
from pitstop.messaging import rules, templates

SHANGHAI, BERLIN = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")


def local(zone: ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        ((2026, 3, 10, 20, 59), None),  # before the window closes for the night
        ((2026, 3, 10, 21, 0), (2026, 3, 11, 9, 0)),  # quiet from 21:00
        ((2026, 3, 11, 0, 30), (2026, 3, 11, 9, 0)),  # after midnight: the same morning
        ((2026, 3, 11, 8, 59), (2026, 3, 11, 9, 0)),
        ((2026, 3, 11, 9, 0), None),  # 09:00 is open
    ],
)
def test_quiet_hours_in_shanghai(now: tuple[int, ...], opens: tuple[int, ...] | None) -> None:
    # Given an instant in Shanghai, When asked how long it is quiet, Then until 09:00 local
    until = rules.quiet_until(local(SHANGHAI, *now).astimezone(dt.UTC), "Asia/Shanghai")
    assert until == (local(SHANGHAI, *opens) if opens else None)


def test_quiet_hours_over_the_spring_forward_night_in_berlin() -> None:
    # Given 22:00 on Saturday 28 March 2026 in Berlin (clocks go 02:00 → 03:00 that night)
    now = local(BERLIN, 2026, 3, 28, 22, 0)
    # Then the message waits for 09:00 CEST, which is 07:00 UTC (not 08:00, as in winter)
    until = rules.quiet_until(now.astimezone(dt.UTC), "Europe/Berlin")
    assert until == dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC)
    assert until is not None and until.astimezone(BERLIN).hour == 9


def test_quiet_hours_over_the_fall_back_night_in_berlin() -> None:
    # Given 21:30 on Saturday 24 October 2026 (clocks go 03:00 → 02:00 that night)
    until = rules.quiet_until(local(BERLIN, 2026, 10, 24, 21, 30), "Europe/Berlin")
    # Then 09:00 CET on Sunday is 08:00 UTC
    assert until == dt.datetime(2026, 10, 25, 8, 0, tzinfo=dt.UTC)
    # And 20:30 UTC on Saturday (22:30 CEST) is quiet while 20:30 in Shanghai is not
    assert rules.quiet_until(local(SHANGHAI, 2026, 10, 24, 20, 30), "Asia/Shanghai") is None


def test_caps_count_what_went() -> None:
    marketing = rules.CAPS["marketing"]
    assert (marketing.count, marketing.within) == (2, dt.timedelta(days=7))
    assert not rules.cap_exceeded(marketing, 1) and rules.cap_exceeded(marketing, 2)
    assert rules.CAPS["service"].per_template and "transactional" not in rules.CAPS


def test_templates_refuse_undeclared_and_personal_fields() -> None:
    templates.check("service", ["points"], "还有{points}积分")
    with pytest.raises(Unprocessable, match="body"):
        templates.check("service", ["points"], "{customer_name}还有{points}积分")
    with pytest.raises(Unprocessable, match="body"):
        templates.check("service", [], "未闭合{")
    with pytest.raises(Unprocessable, match="fields"):
        templates.check("marketing", ["plate"], "{plate}")
    shipped = templates.DEFAULTS["points_expiring"]
    assert templates.render(shipped, {"points": 30}) == "您有30积分将于到期，请尽快使用。"
