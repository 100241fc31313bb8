"""Business-time arithmetic for SLA clocks, checked against hand-worked examples.

Every expected value below was worked out by hand from the rules (open time is the union of
a local day's shifts; holidays and ``closed`` days are closed; the clock starts at the next
opening; a deadline that lands on a shift end stays there; ``d`` targets keep the open-time
position on the N-th following open day; time is real seconds across DST changes).

Reference dates: 2025-03-03 is a Monday; 2025-01-01, 2025-10-01 and 2025-12-31 are
Wednesdays; 2025-03-30 and 2025-10-26 are the Sundays Europe changes its clocks; 2025-03-09
and 2025-11-02 are the Sundays the United States does.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pitstop.tenancy.calendar import (
    AlwaysOpen,
    Calendar,
    Duration,
    DurationInvalid,
    StoreCalendar,
    calendar_for,
    parse_duration,
)

UTC = dt.UTC
WEEKDAY = "08:30-12:00,13:30-18:00"  # 3.5h + lunch + 4.5h = 8h


def week(weekdays: str, sat: str, sun: str) -> dict[str, str]:
    return {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), weekdays), "sat": sat, "sun": sun}


# A Shanghai 4S store: split weekday shifts, a Saturday half-day, closed on Sunday.
SHANGHAI = StoreCalendar(
    week(WEEKDAY, "09:00-12:00", "closed"),
    [
        "2025-01-01",
        "2025-04-04",
        "2025-05-01..2025-05-05",
        "2025-10-01..2025-10-07",
        "2026-01-01",
    ],
    "Asia/Shanghai",
)
# Urumqi (UTC+6): 9h on Mon-Sat with an hour's break, 6h on Sunday, one holiday (a Friday).
URUMQI = StoreCalendar(
    week("10:00-14:00,15:00-20:00", "10:00-14:00,15:00-20:00", "11:00-17:00"),
    ["2025-03-21"],
    "Asia/Urumqi",
)
# Berlin: a Sunday night shift 01:00-04:00 straddles both European clock changes.
BERLIN = StoreCalendar(
    week("08:00-17:00", "09:00-13:00", "01:00-04:00"), ["2025-12-24..2025-12-26"], "Europe/Berlin"
)
# New York: open round the clock on Sunday (00:00-24:00), which is 23h or 25h on DST days.
NEW_YORK = StoreCalendar(week("06:00-22:00", "06:00-22:00", "00:00-24:00"), [], "America/New_York")
ALWAYS = AlwaysOpen()

ZONES = {
    "SHANGHAI": "Asia/Shanghai",
    "URUMQI": "Asia/Urumqi",
    "BERLIN": "Europe/Berlin",
    "NEW_YORK": "America/New_York",
}
CALENDARS: dict[str, Calendar] = {
    "SHANGHAI": SHANGHAI,
    "URUMQI": URUMQI,
    "BERLIN": BERLIN,
    "NEW_YORK": NEW_YORK,
}


def at(text: str, zone: str = "Asia/Shanghai") -> dt.datetime:
    """A wall-clock time in ``zone``; a trailing ``Z`` means UTC (for ambiguous fall-back times)."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


def h(hours: float = 0, minutes: int = 0, seconds: int = 0) -> dt.timedelta:
    return dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


# ---------------------------------------------------------------------------------------------
# add(start, N seconds): (store, start local, duration, expected local)
# ---------------------------------------------------------------------------------------------

ADD_SECONDS = [
    # Shanghai, an ordinary week (Mon 2025-03-03 .. Mon 2025-03-10)
    ("SHANGHAI", "2025-03-03 10:00", "30m", "2025-03-03 10:30", "mon-morning-30m"),
    ("SHANGHAI", "2025-03-03 10:00", "1h", "2025-03-03 11:00", "mon-morning-1h"),
    ("SHANGHAI", "2025-03-03 10:00", "90s", "2025-03-03 10:01:30", "mon-morning-90s"),
    ("SHANGHAI", "2025-03-03 10:00", "1h30m", "2025-03-03 11:30", "mon-morning-1h30m"),
    ("SHANGHAI", "2025-03-03 10:00", "2h", "2025-03-03 12:00", "lands-on-lunch-start"),
    ("SHANGHAI", "2025-03-03 10:00", "7201s", "2025-03-03 13:30:01", "one-second-past-lunch"),
    ("SHANGHAI", "2025-03-03 10:00", "2h30m", "2025-03-03 14:00", "jumps-lunch-30m-after"),
    ("SHANGHAI", "2025-03-03 10:00", "3h", "2025-03-03 14:30", "jumps-lunch-1h-after"),
    ("SHANGHAI", "2025-03-03 11:59", "2m", "2025-03-03 13:31", "minute-before-lunch"),
    ("SHANGHAI", "2025-03-03 08:30", "3h30m", "2025-03-03 12:00", "whole-morning-shift"),
    ("SHANGHAI", "2025-03-03 08:30", "8h", "2025-03-03 18:00", "whole-day-lands-at-close"),
    ("SHANGHAI", "2025-03-03 08:30", "28801s", "2025-03-04 08:30:01", "day-plus-second"),
    ("SHANGHAI", "2025-03-03 07:00", "1h", "2025-03-03 09:30", "before-opening"),
    ("SHANGHAI", "2025-03-03 00:00", "90s", "2025-03-03 08:31:30", "from-midnight"),
    ("SHANGHAI", "2025-03-03 08:29:59", "1s", "2025-03-03 08:30:01", "second-before-opening"),
    ("SHANGHAI", "2025-03-03 12:30", "1h", "2025-03-03 14:30", "during-lunch"),
    ("SHANGHAI", "2025-03-03 12:00", "30m", "2025-03-03 14:00", "at-lunch-start"),
    ("SHANGHAI", "2025-03-03 13:30", "30m", "2025-03-03 14:00", "at-lunch-end"),
    ("SHANGHAI", "2025-03-03 13:29:59", "1s", "2025-03-03 13:30:01", "second-before-reopen"),
    ("SHANGHAI", "2025-03-03 17:00", "2h", "2025-03-04 09:30", "across-closing"),
    ("SHANGHAI", "2025-03-03 17:59", "1m", "2025-03-03 18:00", "last-minute-to-close"),
    ("SHANGHAI", "2025-03-03 17:59", "2m", "2025-03-04 08:31", "last-minute-plus-one"),
    ("SHANGHAI", "2025-03-03 18:00", "1m", "2025-03-04 08:31", "at-closing"),
    ("SHANGHAI", "2025-03-03 18:00", "3h30m", "2025-03-04 12:00", "at-closing-next-lunch"),
    ("SHANGHAI", "2025-03-03 19:00", "2h", "2025-03-04 10:30", "after-closing"),
    ("SHANGHAI", "2025-03-03 23:59:59", "1s", "2025-03-04 08:30:01", "just-before-midnight"),
    ("SHANGHAI", "2025-03-04 00:00", "3h30m1s", "2025-03-04 13:30:01", "at-midnight"),
    ("SHANGHAI", "2025-03-03 08:30", "24h", "2025-03-05 18:00", "three-full-days"),
    ("SHANGHAI", "2025-03-03 08:30", "40h", "2025-03-07 18:00", "full-working-week"),
    ("SHANGHAI", "2025-03-03 08:30", "43h", "2025-03-08 12:00", "week-plus-saturday"),
    ("SHANGHAI", "2025-03-03 08:30", "44h", "2025-03-10 09:30", "week-into-next-monday"),
    ("SHANGHAI", "2025-03-07 17:00", "2h", "2025-03-08 10:00", "friday-into-saturday"),
    ("SHANGHAI", "2025-03-07 17:00", "4h", "2025-03-08 12:00", "friday-to-saturday-close"),
    ("SHANGHAI", "2025-03-07 17:00", "5h", "2025-03-10 09:30", "friday-over-weekend"),
    ("SHANGHAI", "2025-03-08 09:00", "3h", "2025-03-08 12:00", "whole-saturday"),
    ("SHANGHAI", "2025-03-08 11:00", "2h", "2025-03-10 09:30", "saturday-over-sunday"),
    ("SHANGHAI", "2025-03-08 13:00", "1h", "2025-03-10 09:30", "saturday-afternoon"),
    ("SHANGHAI", "2025-03-09 10:00", "1h", "2025-03-10 09:30", "on-sunday"),
    ("SHANGHAI", "2025-03-09 10:00", "8h", "2025-03-10 18:00", "sunday-to-monday-close"),
    # Shanghai holidays: single days and ranges, month and year ends
    ("SHANGHAI", "2024-12-31 17:00", "2h", "2025-01-02 09:30", "year-end-over-new-year"),
    ("SHANGHAI", "2024-12-31 17:30", "30m", "2024-12-31 18:00", "year-end-to-close"),
    ("SHANGHAI", "2024-12-31 18:00", "30m", "2025-01-02 09:00", "year-end-at-close"),
    ("SHANGHAI", "2025-01-01 10:00", "1h", "2025-01-02 09:30", "on-new-year-holiday"),
    ("SHANGHAI", "2025-01-31 17:00", "4h", "2025-02-01 12:00", "month-end-to-saturday"),
    ("SHANGHAI", "2025-01-31 17:00", "4h1m", "2025-02-03 08:31", "month-end-to-monday"),
    ("SHANGHAI", "2025-02-28 17:00", "2h", "2025-03-01 10:00", "february-end"),
    ("SHANGHAI", "2025-04-03 17:00", "2h", "2025-04-05 10:00", "over-single-holiday"),
    ("SHANGHAI", "2025-04-03 17:00", "5h", "2025-04-07 09:30", "holiday-and-sunday"),
    ("SHANGHAI", "2025-04-30 17:00", "2h", "2025-05-06 09:30", "over-may-day-range"),
    ("SHANGHAI", "2025-05-03 10:00", "1h", "2025-05-06 09:30", "inside-may-day-range"),
    ("SHANGHAI", "2025-09-30 17:00", "2h", "2025-10-08 09:30", "over-national-day-range"),
    ("SHANGHAI", "2025-10-03 10:00", "30m", "2025-10-08 09:00", "inside-national-day"),
    ("SHANGHAI", "2025-10-07 23:00", "8h", "2025-10-08 18:00", "last-night-of-range"),
    ("SHANGHAI", "2025-10-08 08:30", "30m", "2025-10-08 09:00", "first-day-after-range"),
    ("SHANGHAI", "2025-12-31 17:00", "2h", "2026-01-02 09:30", "year-end-2025"),
    ("SHANGHAI", "2025-12-31 23:30", "1h", "2026-01-02 09:30", "new-years-eve-night"),
    # Urumqi (UTC+6): 10:00-14:00,15:00-20:00 Mon-Sat, 11:00-17:00 Sun, 2025-03-21 holiday
    ("URUMQI", "2025-03-03 09:00", "1h", "2025-03-03 11:00", "urumqi-before-opening"),
    ("URUMQI", "2025-03-03 10:00", "4h", "2025-03-03 14:00", "urumqi-to-break"),
    ("URUMQI", "2025-03-03 13:30", "1h", "2025-03-03 15:30", "urumqi-over-break"),
    ("URUMQI", "2025-03-03 19:00", "2h", "2025-03-04 11:00", "urumqi-over-night"),
    ("URUMQI", "2025-03-03 21:00", "30m", "2025-03-04 10:30", "urumqi-after-close"),
    ("URUMQI", "2025-03-03 00:00", "9h", "2025-03-03 20:00", "urumqi-whole-day"),
    ("URUMQI", "2025-03-08 19:00", "2h", "2025-03-09 12:00", "urumqi-into-sunday"),
    ("URUMQI", "2025-03-09 16:00", "1h", "2025-03-09 17:00", "urumqi-sunday-close"),
    ("URUMQI", "2025-03-09 16:00", "2h", "2025-03-10 11:00", "urumqi-sunday-to-monday"),
    ("URUMQI", "2025-03-20 19:30", "1h", "2025-03-22 10:30", "urumqi-over-holiday"),
    ("URUMQI", "2025-03-31 19:00", "1h", "2025-03-31 20:00", "urumqi-month-end-close"),
    ("URUMQI", "2025-12-31 19:00", "2h", "2026-01-01 11:00", "urumqi-year-end"),
    # Berlin spring forward (Sun 2025-03-30, 02:00 CET -> 03:00 CEST): 01:00-04:00 is 2h
    ("BERLIN", "2025-03-30 01:00", "1h", "2025-03-30 03:00", "spring-hour-skips-gap"),
    ("BERLIN", "2025-03-30 01:30", "1h", "2025-03-30 03:30", "spring-half-past"),
    ("BERLIN", "2025-03-30 01:00", "2h", "2025-03-30 04:00", "spring-shift-is-2h"),
    ("BERLIN", "2025-03-30 01:00", "2h1s", "2025-03-31 08:00:01", "spring-past-short-shift"),
    ("BERLIN", "2025-03-29 12:00", "2h", "2025-03-30 03:00", "spring-from-saturday"),
    ("BERLIN", "2025-03-29 12:00", "3h", "2025-03-30 04:00", "spring-saturday-to-close"),
    ("BERLIN", "2025-03-29 12:00", "3h30m", "2025-03-31 08:30", "spring-to-monday"),
    ("BERLIN", "2025-03-28 16:00", "9h", "2025-03-31 10:00", "spring-weekend-from-friday"),
    # Berlin fall back (Sun 2025-10-26, 03:00 CEST -> 02:00 CET): 01:00-04:00 is 4h
    ("BERLIN", "2025-10-26 01:00", "1h", "2025-10-26T00:00Z", "fall-first-2am"),
    ("BERLIN", "2025-10-26 01:00", "2h", "2025-10-26T01:00Z", "fall-second-2am"),
    ("BERLIN", "2025-10-26 01:00", "3h", "2025-10-26 03:00", "fall-3am-cet"),
    ("BERLIN", "2025-10-26 01:00", "4h", "2025-10-26 04:00", "fall-shift-is-4h"),
    ("BERLIN", "2025-10-26 01:00", "4h1s", "2025-10-27 08:00:01", "fall-past-long-shift"),
    ("BERLIN", "2025-10-25 12:00", "5h", "2025-10-26 04:00", "fall-from-saturday"),
    # Berlin ordinary Sunday, holidays and year end
    ("BERLIN", "2025-03-23 01:00", "3h", "2025-03-23 04:00", "plain-sunday-is-3h"),
    ("BERLIN", "2025-03-23 01:00", "3h1s", "2025-03-24 08:00:01", "plain-sunday-past"),
    ("BERLIN", "2025-12-23 16:00", "2h", "2025-12-27 10:00", "berlin-christmas-range"),
    ("BERLIN", "2025-12-31 16:30", "1h", "2026-01-01 08:30", "berlin-year-end"),
    # New York: Sunday 00:00-24:00 is 23h (2025-03-09) and 25h (2025-11-02)
    ("NEW_YORK", "2025-03-09 00:00", "23h", "2025-03-10 00:00", "ny-spring-sunday-23h"),
    ("NEW_YORK", "2025-03-09 00:00", "82801s", "2025-03-10 06:00:01", "ny-spring-past-24h"),
    ("NEW_YORK", "2025-03-09 01:00", "2h", "2025-03-09 04:00", "ny-spring-over-gap"),
    ("NEW_YORK", "2025-11-02 00:00", "25h", "2025-11-03 00:00", "ny-fall-sunday-25h"),
    ("NEW_YORK", "2025-11-02 00:00", "24h", "2025-11-02 23:00", "ny-fall-24h-is-11pm"),
    ("NEW_YORK", "2025-11-01 21:00", "2h", "2025-11-02T05:00Z", "ny-fall-first-1am"),
    ("NEW_YORK", "2025-11-01 21:00", "3h", "2025-11-02T06:00Z", "ny-fall-second-1am"),
    ("NEW_YORK", "2025-03-08 21:30", "1h", "2025-03-09 00:30", "ny-saturday-to-sunday"),
]


@pytest.mark.parametrize(
    ("store", "start", "duration", "expected"),
    [pytest.param(*row[:4], id=row[4]) for row in ADD_SECONDS],
)
def test_add_open_seconds(store: str, start: str, duration: str, expected: str) -> None:
    # Given a store calendar and a start in the store's local time
    calendar, zone = CALENDARS[store], ZONES[store]
    # When open time is added
    deadline = calendar.add(at(start, zone), parse_duration(duration))
    # Then the deadline is the hand-worked local time, returned in UTC
    assert deadline == at(expected, zone)
    assert deadline.tzinfo is UTC


# ---------------------------------------------------------------------------------------------
# add(start, N business days)
# ---------------------------------------------------------------------------------------------

ADD_DAYS = [
    ("SHANGHAI", "2025-03-03 10:00", "1d", "2025-03-04 10:00", "mon-to-tue-same-time"),
    ("SHANGHAI", "2025-03-03 08:30", "1d", "2025-03-04 08:30", "at-opening"),
    ("SHANGHAI", "2025-03-03 07:00", "1d", "2025-03-04 08:30", "before-opening"),
    ("SHANGHAI", "2025-03-03 15:00", "1d", "2025-03-04 15:00", "afternoon"),
    ("SHANGHAI", "2025-03-03 12:30", "1d", "2025-03-04 12:00", "lunch-position-3h30"),
    ("SHANGHAI", "2025-03-03 19:00", "1d", "2025-03-05 08:30", "after-closing"),
    ("SHANGHAI", "2025-03-06 15:00", "2d", "2025-03-08 12:00", "short-saturday-caps"),
    ("SHANGHAI", "2025-03-07 10:00", "1d", "2025-03-08 10:30", "friday-to-saturday"),
    ("SHANGHAI", "2025-03-07 10:00", "2d", "2025-03-10 10:00", "skips-sunday"),
    ("SHANGHAI", "2025-03-08 10:00", "1d", "2025-03-10 09:30", "saturday-to-monday"),
    ("SHANGHAI", "2025-03-08 11:59", "1d", "2025-03-10 11:29", "saturday-late-position"),
    ("SHANGHAI", "2025-03-08 12:00", "1d", "2025-03-11 08:30", "saturday-close"),
    ("SHANGHAI", "2025-03-09 10:00", "1d", "2025-03-11 08:30", "from-sunday"),
    ("SHANGHAI", "2025-03-03 10:00", "5d", "2025-03-08 10:30", "five-days-to-saturday"),
    ("SHANGHAI", "2025-03-03 10:00", "7d", "2025-03-11 10:00", "seven-business-days"),
    ("SHANGHAI", "2025-09-30 10:00", "1d", "2025-10-08 10:00", "over-national-day"),
    ("SHANGHAI", "2025-09-29 16:00", "2d", "2025-10-08 16:00", "into-and-over-range"),
    ("SHANGHAI", "2025-05-01 10:00", "1d", "2025-05-07 08:30", "from-inside-may-day"),
    ("SHANGHAI", "2025-04-03 09:00", "1d", "2025-04-05 09:30", "over-qingming"),
    ("SHANGHAI", "2025-12-31 10:00", "1d", "2026-01-02 10:00", "year-end-holiday"),
    ("SHANGHAI", "2025-12-31 10:00", "2d", "2026-01-03 10:30", "year-end-to-saturday"),
    ("SHANGHAI", "2025-01-31 17:00", "1d", "2025-02-01 12:00", "month-end-short-day"),
    ("SHANGHAI", "2025-01-31 17:00", "2d", "2025-02-03 17:00", "month-end-to-monday"),
    ("SHANGHAI", "2025-02-28 12:00", "1d", "2025-03-01 12:00", "lunch-to-saturday"),
    ("URUMQI", "2025-03-03 16:00", "1d", "2025-03-04 16:00", "urumqi-afternoon"),
    ("URUMQI", "2025-03-08 19:00", "1d", "2025-03-09 17:00", "urumqi-to-short-sunday"),
    ("URUMQI", "2025-03-09 12:00", "1d", "2025-03-10 11:00", "urumqi-sunday-position"),
    ("URUMQI", "2025-03-20 11:00", "1d", "2025-03-22 11:00", "urumqi-over-holiday"),
    ("BERLIN", "2025-03-28 10:00", "1d", "2025-03-29 11:00", "berlin-to-saturday"),
    ("BERLIN", "2025-03-29 10:00", "1d", "2025-03-30 03:00", "berlin-into-spring-gap"),
    ("BERLIN", "2025-03-29 12:00", "1d", "2025-03-30 04:00", "berlin-spring-caps-at-2h"),
    ("BERLIN", "2025-10-25 12:00", "1d", "2025-10-26 03:00", "berlin-fall-long-sunday"),
    ("BERLIN", "2025-12-23 10:00", "1d", "2025-12-27 11:00", "berlin-christmas"),
]


@pytest.mark.parametrize(
    ("store", "start", "duration", "expected"),
    [pytest.param(*row[:4], id=row[4]) for row in ADD_DAYS],
)
def test_add_business_days(store: str, start: str, duration: str, expected: str) -> None:
    # Given the clock-start position in open time since that day's first opening
    calendar, zone = CALENDARS[store], ZONES[store]
    # When N business days are added
    deadline = calendar.add(at(start, zone), parse_duration(duration))
    # Then the deadline holds that position on the N-th following open day (or its close)
    assert deadline == at(expected, zone)


def test_a_business_day_is_a_day_of_open_time_not_24_hours() -> None:
    # Given Monday 10:00, "1d" and "8h" are both one weekday's worth of open time
    start = at("2025-03-03 10:00")
    # Then both land on Tuesday 10:00 in Shanghai, but "3d" is not "24h"
    assert SHANGHAI.add(start, Duration(days=1)) == SHANGHAI.add(start, Duration(seconds=8 * 3600))
    assert SHANGHAI.add(start, Duration(days=3)) == at("2025-03-06 10:00")
    assert SHANGHAI.add(start, Duration(seconds=24 * 3600)) == at("2025-03-06 10:00")
    assert SHANGHAI.add(start, Duration(days=2)) != SHANGHAI.add(start, parse_duration("48h"))


# ---------------------------------------------------------------------------------------------
# 24x7
# ---------------------------------------------------------------------------------------------

ALWAYS_CASES = [
    ("2025-03-03 10:00", "30m", "2025-03-03 10:30", "plain-30m"),
    ("2025-03-03 10:00", "90s", "2025-03-03 10:01:30", "plain-90s"),
    ("2025-03-03 10:00", "2h", "2025-03-03 12:00", "through-lunch"),
    ("2025-03-03 17:00", "2h", "2025-03-03 19:00", "past-closing"),
    ("2025-03-09 23:00", "2h", "2025-03-10 01:00", "over-midnight"),
    ("2025-03-03 10:00", "3d", "2025-03-06 10:00", "3d-is-72h"),
    ("2025-03-07 10:00", "1d", "2025-03-08 10:00", "weekend-counts"),
    ("2025-12-31 23:30", "1h", "2026-01-01 00:30", "year-end"),
    ("2025-09-30 10:00", "2d", "2025-10-02 10:00", "holidays-count"),
    ("2025-02-28 23:00", "2h", "2025-03-01 01:00", "february-end"),
    ("2025-03-30T00:00Z", "2h", "2025-03-30T02:00Z", "real-hours-over-dst"),
    ("2025-03-29T11:00Z", "1d", "2025-03-30T11:00Z", "day-is-24-real-hours"),
]


@pytest.mark.parametrize(
    ("start", "duration", "expected"), [pytest.param(*row[:3], id=row[3]) for row in ALWAYS_CASES]
)
def test_always_open_is_plain_arithmetic(start: str, duration: str, expected: str) -> None:
    deadline = ALWAYS.add(at(start), parse_duration(duration))
    assert deadline == at(expected)
    assert deadline.tzinfo is UTC


def test_always_open_answers_the_rest_of_the_protocol() -> None:
    start, end = at("2025-03-09 10:00"), at("2025-03-10 12:30")
    assert ALWAYS.is_open(start) and ALWAYS.next_open(start) == start
    assert ALWAYS.elapsed(start, end) == h(26, 30)
    assert ALWAYS.elapsed(end, start) == dt.timedelta(0)
    assert ALWAYS.shift(start, h(1)) == at("2025-03-09 11:00")
    assert ALWAYS.next_open(start).tzinfo is UTC


# ---------------------------------------------------------------------------------------------
# elapsed(start, end): open time in [start, end)
# ---------------------------------------------------------------------------------------------

ELAPSED = [
    ("SHANGHAI", "2025-03-03 08:30", "2025-03-03 18:00", h(8), "whole-weekday"),
    ("SHANGHAI", "2025-03-03 00:00", "2025-03-04 00:00", h(8), "midnight-to-midnight"),
    ("SHANGHAI", "2025-03-03 10:00", "2025-03-03 14:00", h(2, 30), "over-lunch"),
    ("SHANGHAI", "2025-03-03 11:00", "2025-03-03 13:45", h(1, 15), "into-afternoon"),
    ("SHANGHAI", "2025-03-03 12:10", "2025-03-03 13:20", h(0), "inside-lunch"),
    ("SHANGHAI", "2025-03-03 17:00", "2025-03-04 09:00", h(1, 30), "over-night"),
    ("SHANGHAI", "2025-03-03 00:00", "2025-03-10 00:00", h(43), "whole-week"),
    ("SHANGHAI", "2025-03-07 17:00", "2025-03-10 09:30", h(5), "over-weekend"),
    ("SHANGHAI", "2025-03-09 00:00", "2025-03-10 00:00", h(0), "closed-sunday"),
    ("SHANGHAI", "2025-03-03 10:00", "2025-03-03 10:00", h(0), "empty-range"),
    ("SHANGHAI", "2025-03-03 14:00", "2025-03-03 10:00", h(0), "end-before-start"),
    ("SHANGHAI", "2025-03-03 11:59:59", "2025-03-03 13:30:01", h(seconds=2), "around-lunch"),
    ("SHANGHAI", "2024-12-31 00:00", "2025-01-03 00:00", h(16), "over-new-year-holiday"),
    ("SHANGHAI", "2025-12-31 17:00", "2026-01-02 09:00", h(1, 30), "year-end-2025"),
    ("SHANGHAI", "2025-09-30 00:00", "2025-10-09 00:00", h(16), "over-national-day"),
    ("SHANGHAI", "2025-03-01 00:00", "2025-04-01 00:00", h(183), "march-2025"),
    ("SHANGHAI", "2025-10-01 00:00", "2025-11-01 00:00", h(153), "october-with-range"),
    ("SHANGHAI", "2025-05-01 00:00", "2025-05-06 00:00", h(0), "inside-may-day-range"),
    ("URUMQI", "2025-03-03 00:00", "2025-03-04 00:00", h(9), "urumqi-weekday"),
    ("URUMQI", "2025-03-03 00:00", "2025-03-10 00:00", h(60), "urumqi-week"),
    ("URUMQI", "2025-03-17 00:00", "2025-03-24 00:00", h(51), "urumqi-week-with-holiday"),
    ("URUMQI", "2025-03-03 13:00", "2025-03-03 16:00", h(2), "urumqi-over-break"),
    ("BERLIN", "2025-03-30 00:00", "2025-03-31 00:00", h(2), "spring-sunday-2h"),
    ("BERLIN", "2025-10-26 00:00", "2025-10-27 00:00", h(4), "fall-sunday-4h"),
    ("BERLIN", "2025-03-23 00:00", "2025-03-24 00:00", h(3), "plain-sunday-3h"),
    ("BERLIN", "2025-03-17 00:00", "2025-03-24 00:00", h(52), "plain-week"),
    ("BERLIN", "2025-03-24 00:00", "2025-03-31 00:00", h(51), "spring-week"),
    ("BERLIN", "2025-10-20 00:00", "2025-10-27 00:00", h(53), "fall-week"),
    ("BERLIN", "2025-03-30 01:30", "2025-03-30 03:30", h(1), "spring-across-gap"),
    ("BERLIN", "2025-10-26T00:30Z", "2025-10-26T01:30Z", h(1), "fall-repeated-hour"),
    ("NEW_YORK", "2025-03-09 00:00", "2025-03-10 00:00", h(23), "ny-spring-sunday"),
    ("NEW_YORK", "2025-11-02 00:00", "2025-11-03 00:00", h(25), "ny-fall-sunday"),
    ("NEW_YORK", "2025-03-08 21:00", "2025-03-09 01:00", h(2), "ny-into-24h-sunday"),
]


@pytest.mark.parametrize(
    ("store", "start", "end", "expected"), [pytest.param(*row[:4], id=row[4]) for row in ELAPSED]
)
def test_elapsed_open_time(store: str, start: str, end: str, expected: dt.timedelta) -> None:
    zone = ZONES[store]
    assert CALENDARS[store].elapsed(at(start, zone), at(end, zone)) == expected


def test_elapsed_does_not_care_about_the_inputs_time_zones() -> None:
    # Given the same two instants written in Shanghai, UTC and Berlin time
    start_local, end_local = at("2025-03-03 10:00"), at("2025-03-04 10:00")
    start_utc = start_local.astimezone(UTC)
    end_berlin = end_local.astimezone(ZoneInfo("Europe/Berlin"))
    # Then the open time between them is the same: 8 hours
    assert SHANGHAI.elapsed(start_utc, end_berlin) == h(8)
    assert SHANGHAI.elapsed(start_local, end_local) == h(8)


def test_same_instant_means_different_things_in_two_zones() -> None:
    # Given 04:00 UTC: lunch in Shanghai (12:00), opening time in Urumqi (10:00)
    instant = dt.datetime(2025, 3, 3, 4, 0, tzinfo=UTC)
    # Then Shanghai waits for 13:30 and Urumqi starts right away
    assert not SHANGHAI.is_open(instant) and URUMQI.is_open(instant)
    assert SHANGHAI.add(instant, Duration(seconds=3600)) == at("2025-03-03 14:30")
    assert URUMQI.add(instant, Duration(seconds=3600)) == at("2025-03-03 11:00", "Asia/Urumqi")


# ---------------------------------------------------------------------------------------------
# pauses: elapsed measures the pause, shift pushes the deadline by it
# ---------------------------------------------------------------------------------------------

PAUSES = [
    # (pause from, pause to, open time paused, deadline before, deadline after)
    (
        "2025-03-03 17:00",
        "2025-03-04 10:00",
        h(2, 30),
        "2025-03-04 11:00",
        "2025-03-04 15:00",
        "before-close-to-after-open",
    ),
    (
        "2025-03-03 17:30",
        "2025-03-04 08:00",
        h(0, 30),
        "2025-03-04 09:00",
        "2025-03-04 09:30",
        "ends-before-next-opening",
    ),
    (
        "2025-03-03 19:00",
        "2025-03-04 08:00",
        h(0),
        "2025-03-03 18:00",
        "2025-03-03 18:00",
        "all-night-is-free",
    ),
    (
        "2025-03-07 17:00",
        "2025-03-10 09:00",
        h(4, 30),
        "2025-03-10 10:00",
        "2025-03-10 16:00",
        "over-weekend",
    ),
    (
        "2025-03-03 11:30",
        "2025-03-03 14:00",
        h(1),
        "2025-03-03 17:30",
        "2025-03-04 09:00",
        "over-lunch",
    ),
    (
        "2025-09-30 17:00",
        "2025-10-08 09:00",
        h(1, 30),
        "2025-10-08 10:00",
        "2025-10-08 11:30",
        "over-holiday-range",
    ),
    (
        "2025-03-03 10:00",
        "2025-03-03 11:00",
        h(1),
        "2025-03-03 18:00",
        "2025-03-04 09:30",
        "deadline-at-close-moves",
    ),
]


@pytest.mark.parametrize(
    ("paused", "resumed", "consumed", "deadline", "pushed"),
    [pytest.param(*row[:5], id=row[5]) for row in PAUSES],
)
def test_pause_consumes_only_open_time(
    paused: str, resumed: str, consumed: dt.timedelta, deadline: str, pushed: str
) -> None:
    # Given a complaint paused and later resumed
    pause = SHANGHAI.elapsed(at(paused), at(resumed))
    # Then only the open part of the pause counts
    assert pause == consumed
    # When its deadline is pushed by that much open time
    # Then it lands on the hand-worked instant
    assert SHANGHAI.shift(at(deadline), pause) == at(pushed)


def test_shift_by_zero_leaves_a_deadline_at_closing_time_alone() -> None:
    closing = at("2025-03-03 18:00")
    assert SHANGHAI.shift(closing, dt.timedelta(0)) == closing
    assert SHANGHAI.shift(closing, dt.timedelta(0)).tzinfo is UTC


def test_shift_is_add_with_a_timedelta_and_keeps_microseconds() -> None:
    start = at("2025-03-03 17:00")
    assert SHANGHAI.shift(start, h(2)) == SHANGHAI.add(start, Duration(seconds=7200))
    delta = dt.timedelta(hours=1, microseconds=250)
    assert SHANGHAI.shift(start, delta) == at("2025-03-04 08:30:00.000250")


@pytest.mark.parametrize("calendar", [SHANGHAI, ALWAYS], ids=["store", "24x7"])
def test_shift_refuses_negative_time(calendar: Calendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        calendar.shift(at("2025-03-03 10:00"), dt.timedelta(seconds=-1))


# ---------------------------------------------------------------------------------------------
# is_open / next_open
# ---------------------------------------------------------------------------------------------

IS_OPEN = [
    ("2025-03-03 08:29:59", False, "before-opening"),
    ("2025-03-03 08:30", True, "at-opening"),
    ("2025-03-03 11:59:59", True, "end-of-morning"),
    ("2025-03-03 12:00", False, "lunch-start-is-closed"),
    ("2025-03-03 13:29:59", False, "end-of-lunch"),
    ("2025-03-03 13:30", True, "afternoon-opening"),
    ("2025-03-03 17:59:59", True, "last-second"),
    ("2025-03-03 18:00", False, "closing-is-closed"),
    ("2025-03-03 23:59:59", False, "night"),
    ("2025-03-08 11:00", True, "saturday-morning"),
    ("2025-03-08 12:00", False, "saturday-close"),
    ("2025-03-09 10:00", False, "sunday"),
    ("2025-01-01 10:00", False, "single-holiday"),
    ("2025-10-05 10:00", False, "holiday-range"),
    ("2025-10-07 17:00", False, "last-day-of-range"),
    ("2025-10-08 09:00", True, "day-after-range"),
]


@pytest.mark.parametrize(("when", "expected"), [pytest.param(*r[:2], id=r[2]) for r in IS_OPEN])
def test_is_open(when: str, expected: bool) -> None:
    assert SHANGHAI.is_open(at(when)) is expected


NEXT_OPEN = [
    ("SHANGHAI", "2025-03-03 07:00", "2025-03-03 08:30", "before-opening"),
    ("SHANGHAI", "2025-03-03 10:00", "2025-03-03 10:00", "open-is-itself"),
    ("SHANGHAI", "2025-03-03 12:00", "2025-03-03 13:30", "lunch"),
    ("SHANGHAI", "2025-03-03 18:00", "2025-03-04 08:30", "closing"),
    ("SHANGHAI", "2025-03-08 12:00", "2025-03-10 08:30", "saturday-close"),
    ("SHANGHAI", "2025-03-09 10:00", "2025-03-10 08:30", "sunday"),
    ("SHANGHAI", "2024-12-31 18:00", "2025-01-02 08:30", "over-new-year"),
    ("SHANGHAI", "2025-09-30 18:00", "2025-10-08 08:30", "over-national-day"),
    ("SHANGHAI", "2025-04-03 18:00", "2025-04-05 09:00", "over-qingming"),
    ("URUMQI", "2025-03-08 21:00", "2025-03-09 11:00", "urumqi-sunday-late"),
    ("BERLIN", "2025-03-30 00:00", "2025-03-30 01:00", "berlin-spring-night-shift"),
    ("BERLIN", "2025-03-30 04:30", "2025-03-31 08:00", "berlin-after-short-shift"),
    ("NEW_YORK", "2025-03-08 22:00", "2025-03-09 00:00", "ny-sunday-midnight"),
]


@pytest.mark.parametrize(
    ("store", "when", "expected"), [pytest.param(*r[:3], id=r[3]) for r in NEXT_OPEN]
)
def test_next_open(store: str, when: str, expected: str) -> None:
    zone = ZONES[store]
    opening = CALENDARS[store].next_open(at(when, zone))
    assert opening == at(expected, zone)
    assert opening.tzinfo is UTC


# ---------------------------------------------------------------------------------------------
# spring-forward gap: boundaries read with zoneinfo's fold=0 (offset before the change)
# ---------------------------------------------------------------------------------------------

CLOSED = "closed"
GAP_START = StoreCalendar(week(CLOSED, CLOSED, "02:30-05:00"), [], "Europe/Berlin")
GAP_LUNCH = StoreCalendar(week(CLOSED, CLOSED, "01:00-02:30,03:00-05:00"), [], "Europe/Berlin")


def test_a_shift_starting_in_the_gap_opens_at_its_fold0_reading() -> None:
    # Given a shift 02:30-05:00 on the day 02:00-03:00 does not exist in Berlin
    day_start, day_end = (
        at("2025-03-30 00:00", "Europe/Berlin"),
        at("2025-03-31 00:00", "Europe/Berlin"),
    )
    # Then "02:30" is read at the pre-change offset (+01:00): 01:30 UTC, i.e. 03:30 CEST
    assert GAP_START.next_open(day_start) == dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert GAP_START.elapsed(day_start, day_end) == h(1, 30)
    # And on an ordinary Sunday the same shift is 2.5h
    assert GAP_START.elapsed(at("2025-03-23 00:00"), at("2025-03-24 00:00")) == h(2, 30)


def test_a_break_inside_the_gap_vanishes_and_the_shifts_do_not_overlap() -> None:
    # Given 01:00-02:30,03:00-05:00 on spring-forward day: 01:00 CET to 05:00 CEST is 3h
    berlin = "Europe/Berlin"
    day_start, day_end = at("2025-03-30 00:00", berlin), at("2025-03-31 00:00", berlin)
    assert GAP_LUNCH.elapsed(day_start, day_end) == h(3)
    # Then 03:10 CEST (01:10 UTC), after the break on the wall clock, is open
    assert GAP_LUNCH.is_open(dt.datetime(2025, 3, 30, 1, 10, tzinfo=UTC))
    assert GAP_LUNCH.add(day_start, Duration(seconds=3 * 3600)) == at("2025-03-30 05:00", berlin)
    # And on an ordinary Sunday the break is real: 1.5h + 2h
    assert GAP_LUNCH.elapsed(at("2025-03-23 00:00", berlin), at("2025-03-24 00:00", berlin)) == h(
        3, 30
    )


# ---------------------------------------------------------------------------------------------
# errors, construction, calendar_for
# ---------------------------------------------------------------------------------------------

NEVER_OPEN = StoreCalendar(week(CLOSED, CLOSED, CLOSED), [], "Asia/Shanghai")


@pytest.mark.parametrize("duration", ["1s", "8h", "1d"])
def test_a_calendar_with_no_open_time_refuses_instead_of_looping(duration: str) -> None:
    # Given a store closed every day of the week
    # When a deadline is asked for, Then a clear ValueError names the problem
    with pytest.raises(ValueError, match="no open"):
        NEVER_OPEN.add(at("2025-03-03 10:00"), parse_duration(duration))


def test_a_calendar_with_no_open_time_still_answers_questions() -> None:
    start = at("2025-03-03 10:00")
    assert NEVER_OPEN.is_open(start) is False
    assert NEVER_OPEN.elapsed(start, at("2027-03-03 10:00")) == dt.timedelta(0)
    with pytest.raises(ValueError, match="no open"):
        NEVER_OPEN.next_open(start)


def test_a_year_long_holiday_is_skipped_not_refused() -> None:
    # Given the whole of 2025 as a holiday range
    shut = StoreCalendar(
        week(WEEKDAY, "09:00-12:00", CLOSED), ["2025-01-01..2025-12-31"], "Asia/Shanghai"
    )
    # Then a 1h target from 2025-01-02 lands on Thursday 2026-01-01
    assert shut.add(at("2025-01-02 10:00"), Duration(seconds=3600)) == at("2026-01-01 09:30")
    assert shut.add(at("2025-01-02 10:00"), Duration(days=1)) == at("2026-01-02 08:30")


NAIVE = dt.datetime(2025, 3, 3, 10, 0)
AWARE = at("2025-03-03 10:00")
NAIVE_CALLS = {
    "add": lambda c: c.add(NAIVE, Duration(seconds=60)),
    "add-days": lambda c: c.add(NAIVE, Duration(days=1)),
    "shift": lambda c: c.shift(NAIVE, h(1)),
    "elapsed-start": lambda c: c.elapsed(NAIVE, AWARE),
    "elapsed-end": lambda c: c.elapsed(AWARE, NAIVE),
    "is_open": lambda c: c.is_open(NAIVE),
    "next_open": lambda c: c.next_open(NAIVE),
}


@pytest.mark.parametrize("calendar", [SHANGHAI, ALWAYS], ids=["store", "24x7"])
@pytest.mark.parametrize("call", list(NAIVE_CALLS))
def test_naive_datetimes_are_refused(calendar: Calendar, call: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        NAIVE_CALLS[call](calendar)


@pytest.mark.parametrize(
    ("hours", "timezone", "named"),
    [
        pytest.param(week(WEEKDAY, CLOSED, CLOSED), "Mars/Olympus", "timezone", id="bad-zone"),
        pytest.param(week(WEEKDAY, CLOSED, CLOSED), "", "timezone", id="empty-zone"),
        pytest.param({"mon": "9-5"}, "Asia/Shanghai", "hours.mon", id="bad-hours"),
        pytest.param({"funday": "closed"}, "Asia/Shanghai", "hours.funday", id="bad-day"),
    ],
)
def test_store_calendar_rejects_bad_store_fields(
    hours: dict[str, str], timezone: str, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        StoreCalendar(hours, [], timezone)


def test_store_calendar_rejects_bad_holidays() -> None:
    with pytest.raises(ValueError, match=r"holidays\[0\]"):
        StoreCalendar(week(WEEKDAY, CLOSED, CLOSED), ["2025-13-01"], "Asia/Shanghai")


def test_store_calendar_accepts_raw_daily_hours() -> None:
    # Given raw manifest hours with "daily" and a Sunday override
    calendar = StoreCalendar({"daily": "09:00-17:00", "sun": "closed"}, [], "Asia/Shanghai")
    # Then Saturday is open all day and Sunday is skipped
    assert calendar.add(at("2025-03-08 16:00"), Duration(seconds=7200)) == at("2025-03-10 10:00")


def test_calendar_for_builds_both_kinds() -> None:
    assert isinstance(calendar_for("24x7"), AlwaysOpen)
    store = calendar_for(
        "store", hours=week(WEEKDAY, "09:00-12:00", CLOSED), timezone="Asia/Shanghai"
    )
    assert isinstance(store, StoreCalendar)
    assert store.add(at("2025-03-03 17:00"), Duration(seconds=7200)) == at("2025-03-04 09:30")
    with_holidays = calendar_for(
        "store", hours=week(WEEKDAY, CLOSED, CLOSED), holidays=["2025-03-04"], timezone="UTC"
    )
    assert with_holidays.next_open(at("2025-03-03T18:00Z")) == at("2025-03-05T08:30Z")


@pytest.mark.parametrize(
    ("kind", "kwargs", "named"),
    [
        pytest.param("business", {}, "unknown", id="unknown-kind"),
        pytest.param("store", {"timezone": "Asia/Shanghai"}, "hours", id="store-without-hours"),
        pytest.param("store", {"hours": {"daily": WEEKDAY}}, "timezone", id="store-without-tz"),
    ],
)
def test_calendar_for_refuses_what_it_cannot_build(
    kind: str, kwargs: dict[str, object], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        calendar_for(kind, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "days"),
    [
        pytest.param(0, 0, id="empty"),
        pytest.param(60, 1, id="both-kinds"),
        pytest.param(-60, 0, id="negative-seconds"),
        pytest.param(0, -1, id="negative-days"),
    ],
)
def test_duration_is_either_seconds_or_days_and_positive(seconds: int, days: int) -> None:
    with pytest.raises(ValueError, match="Duration"):
        Duration(seconds=seconds, days=days)


# ---------------------------------------------------------------------------------------------
# parse_duration
# ---------------------------------------------------------------------------------------------

VALID_DURATIONS = [
    ("90s", Duration(seconds=90)),
    ("30m", Duration(seconds=1800)),
    ("2h", Duration(seconds=7200)),
    ("3d", Duration(days=3)),
    ("1d", Duration(days=1)),
    ("14d", Duration(days=14)),
    ("1h30m", Duration(seconds=5400)),
    ("1h30m15s", Duration(seconds=5415)),
    ("1m30s", Duration(seconds=90)),
    ("2h15s", Duration(seconds=7215)),
    ("120m", Duration(seconds=7200)),
    ("3600s", Duration(seconds=3600)),
    ("0h30m", Duration(seconds=1800)),
    ("1h0m", Duration(seconds=3600)),
    ("2H", Duration(seconds=7200)),
    (" 45m ", Duration(seconds=2700)),
    ("72h", Duration(seconds=259200)),
]


@pytest.mark.parametrize(("text", "expected"), VALID_DURATIONS, ids=[t for t, _ in VALID_DURATIONS])
def test_parse_duration_accepts(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("duration", "text"),
    [(Duration(seconds=5400), "1h30m"), (Duration(days=3), "3d"), (Duration(seconds=61), "1m1s")],
    ids=["hours-minutes", "days", "minutes-seconds"],
)
def test_duration_prints_in_the_form_it_parses_from(duration: Duration, text: str) -> None:
    assert str(duration) == text and parse_duration(text) == duration


INVALID_DURATIONS = [
    ("", "empty", "empty"),
    ("   ", "empty", "blank"),
    ("0s", "zero", "zero-seconds"),
    ("0d", "zero", "zero-days"),
    ("0h0m", "zero", "zero-combined"),
    ("-5m", "negative", "negative"),
    ("5", "<number><unit>", "no-unit"),
    ("m", "<number><unit>", "no-number"),
    ("h5", "<number><unit>", "unit-first"),
    ("1.5h", "<number><unit>", "fraction"),
    ("+5m", "<number><unit>", "plus-sign"),
    ("5 m", "<number><unit>", "inner-space"),
    ("1h 30m", "<number><unit>", "space-between-parts"),
    ("abc", "<number><unit>", "junk"),
    ("5mm", "<number><unit>", "doubled-unit-letter"),
    ("\u0661h", "<number><unit>", "non-ascii-digit"),
    ("5w", "unknown unit", "weeks"),
    ("5y", "unknown unit", "years"),
    ("1d2h", "mixes business days", "days-and-hours"),
    ("2h1d", "mixes business days", "hours-and-days"),
    ("1d1d", "mixes business days", "days-twice"),
    ("30m1h", "largest first", "wrong-order"),
    ("1h1h", "largest first", "repeated-unit"),
    ("99999d", "exceeds", "too-many-days"),
    ("100000h", "exceeds", "too-many-hours"),
]


@pytest.mark.parametrize(
    ("text", "problem"), [pytest.param(*row[:2], id=row[2]) for row in INVALID_DURATIONS]
)
def test_parse_duration_rejects_with_a_message_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(DurationInvalid, match=problem) as caught:
        parse_duration(text)
    assert isinstance(caught.value, ValueError)


def test_parse_duration_rejects_non_strings() -> None:
    with pytest.raises(DurationInvalid, match="string"):
        parse_duration(30)  # type: ignore[arg-type]


def test_elapsed_over_ten_years_adds_up_open_time() -> None:
    # Given ten years of calendar time, When the open time is summed (day by day)
    total = SHANGHAI.elapsed(at("2020-01-01 00:00"), at("2030-01-01 00:00"))
    # Then it lies between the closed-weekend lower and the 7-day upper bound
    assert h(400 * 10) < total < h(43 * 53 * 10)


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31), timezones=st.just(UTC)
)
store_calendars = st.sampled_from([SHANGHAI, URUMQI, BERLIN, NEW_YORK, GAP_LUNCH])
second_counts = st.integers(min_value=1, max_value=200 * 3600)


@settings(deadline=None)
@given(calendar=store_calendars, raw=instants, seconds=second_counts)
def test_elapsed_undoes_add_from_an_open_start(
    calendar: Calendar, raw: dt.datetime, seconds: int
) -> None:
    start = calendar.next_open(raw)
    assert calendar.is_open(start)
    deadline = calendar.add(start, Duration(seconds=seconds))
    assert calendar.elapsed(start, deadline) == dt.timedelta(seconds=seconds)


@settings(deadline=None)
@given(
    calendar=store_calendars,
    raw=instants,
    delta=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20)),
)
def test_elapsed_undoes_shift_from_an_open_start(
    calendar: Calendar, raw: dt.datetime, delta: dt.timedelta
) -> None:
    start = calendar.next_open(raw)
    assert calendar.elapsed(start, calendar.shift(start, delta)) == delta


@settings(deadline=None)
@given(calendar=store_calendars, start=instants, a=second_counts, b=second_counts)
def test_add_is_monotonic_in_seconds(
    calendar: Calendar, start: dt.datetime, a: int, b: int
) -> None:
    low, high = sorted((a, b))
    assert calendar.add(start, Duration(seconds=low)) <= calendar.add(start, Duration(seconds=high))


@settings(deadline=None)
@given(calendar=store_calendars, start=instants, days=st.integers(min_value=1, max_value=30))
def test_add_is_monotonic_in_days(calendar: Calendar, start: dt.datetime, days: int) -> None:
    assert calendar.add(start, Duration(days=days)) < calendar.add(start, Duration(days=days + 1))


@settings(deadline=None)
@given(calendar=store_calendars, a=instants, b=instants, c=instants)
def test_elapsed_is_additive(
    calendar: Calendar, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    first, middle, last = sorted((a, b, c))
    split = calendar.elapsed(first, middle) + calendar.elapsed(middle, last)
    assert calendar.elapsed(first, last) == split


@settings(deadline=None)
@given(calendar=store_calendars, when=instants)
def test_next_open_is_itself_exactly_when_open(calendar: Calendar, when: dt.datetime) -> None:
    assert (calendar.next_open(when) == when) is calendar.is_open(when)


@given(start=instants, seconds=second_counts, days=st.integers(1, 400), end=instants)
def test_always_open_equals_plain_arithmetic(
    start: dt.datetime, seconds: int, days: int, end: dt.datetime
) -> None:
    assert ALWAYS.add(start, Duration(seconds=seconds)) == start + dt.timedelta(seconds=seconds)
    assert ALWAYS.add(start, Duration(days=days)) == start + dt.timedelta(hours=24 * days)
    assert ALWAYS.elapsed(start, end) == max(end - start, dt.timedelta(0))
    assert ALWAYS.shift(start, end - start if end > start else dt.timedelta(0)) == max(start, end)
