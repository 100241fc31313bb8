"""Store opening hours and holidays: parsing and the canonical stored form.

Hours are per weekday, comma-separated ``HH:MM-HH:MM`` ranges (split shifts for the lunch
break), ``closed`` or empty for a closed day; ``daily`` sets every day and day keys override
it. The canonical form lists every day, so re-applying an equivalent manifest is no change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")

Shift = tuple[dt.time, dt.time | None]  # end None means 24:00
WeeklyHours = dict[str, tuple[tuple[int, int], ...]]  # day -> ((start_min, end_min), ...)


class HoursInvalid(ValueError):
    def __init__(self, key: str, message: str) -> None:
        self.key, self.message = key, message
        super().__init__(f"{key}: {message}")


def _minutes(h: str, m: str, key: str, allow_24: bool) -> int:
    hours, minutes = int(h), int(m)
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise HoursInvalid(key, f"{h}:{m} is not a time of day")
    return hours * 60 + minutes


def _parse_day(value: str, key: str) -> tuple[tuple[int, int], ...]:
    text = value.strip().lower()
    if text in ("", "closed"):
        return ()
    shifts: list[tuple[int, int]] = []
    for part in text.split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise HoursInvalid(key, f"{part.strip()!r} is not HH:MM-HH:MM")
        start = _minutes(match[1], match[2], key, allow_24=False)
        end = _minutes(match[3], match[4], key, allow_24=True)
        if end <= start:
            raise HoursInvalid(key, f"{part.strip()} ends before it starts (no overnight shifts)")
        if shifts and start < shifts[-1][1]:
            raise HoursInvalid(key, "shifts must be in order and must not overlap")
        shifts.append((start, end))
    return tuple(shifts)


def parse_weekly_hours(raw: Mapping[str, str]) -> WeeklyHours:
    unknown = sorted(set(raw) - {*DAYS, "daily"})
    if unknown:
        raise HoursInvalid(f"hours.{unknown[0]}", "use mon..sun or daily")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise HoursInvalid(f"hours.{key}", "must be a string such as 08:30-12:00,13:30-18:00")
    daily = _parse_day(raw.get("daily", ""), "hours.daily")
    return {day: _parse_day(raw[day], f"hours.{day}") if day in raw else daily for day in DAYS}


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_weekly_hours(hours: WeeklyHours) -> dict[str, str]:
    return {
        day: ",".join(f"{_fmt(s)}-{_fmt(e)}" for s, e in hours.get(day, ())) or "closed"
        for day in DAYS
    }


def parse_holidays(raw: Sequence[str]) -> frozenset[dt.date]:
    days: set[dt.date] = set()
    for i, item in enumerate(raw):
        key = f"holidays[{i}]"
        if not isinstance(item, str):
            raise HoursInvalid(key, "must be a date string")
        first, _, last = item.partition("..")
        try:
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise HoursInvalid(
                key, f"{item!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
            ) from None
        if end < start or (end - start).days > 366:
            raise HoursInvalid(key, "a range must run forward and last at most a year")
        days.update(start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def format_holidays(days: frozenset[dt.date]) -> list[str]:
    """Canonical: sorted, consecutive days compacted into ranges."""
    out: list[str] = []
    ordered = sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == dt.timedelta(days=1):
            j += 1
        out.append(ordered[i].isoformat() if i == j else f"{ordered[i]}..{ordered[j]}")
        i = j + 1
    return out
