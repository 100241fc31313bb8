"""Business-time arithmetic for SLA clocks (complaint deadlines and the like).

An SLA such as "first response within 2h" means two hours of the store's *open* time, not of
wall-clock time: a complaint logged at 17:30 on Friday is not overdue on Saturday morning.
This module turns a store's canonical ``hours``/``holidays``/``timezone`` into a calendar that
can add open time to an instant, measure the open time between two instants and find the
next opening. ``AlwaysOpen`` is the "24x7" calendar for tenants whose SLAs run round the clock.

Open time is measured in real (UTC) seconds. Shift boundaries are built as aware local
datetimes and converted to UTC, so on a daylight-saving day a shift of 01:00-04:00 lasts two
or four real hours, as the wall clock says. A boundary that falls in a spring-forward gap is
read with zoneinfo's ``fold=0`` rule (the offset in force *before* the change, so "02:30"
on that day means 03:30 new time); a shift that the gap empties is dropped and one that would
then overlap its predecessor is clipped, so open time is always a sorted list of disjoint
intervals. Ambiguous fall-back boundaries likewise take ``fold=0``: the first occurrence.

The walk is day by day (a handful of zoneinfo conversions per open day, cached per calendar),
never minute by minute, and it gives up with ``ValueError`` after two years without any open
time instead of looping forever on a calendar whose every day is closed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pitstop.tenancy.hours import DAYS, parse_holidays, parse_weekly_hours

UTC = dt.UTC
MAX_CLOSED_DAYS = 731  # two years: past this, a calendar is treated as never open
MAX_DURATION_DAYS = 3660  # ten years; a larger SLA is a typo, and would walk for ages
_TOKEN = re.compile(r"([0-9]+)([a-z])", re.ASCII)
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}

Interval = tuple[dt.datetime, dt.datetime]  # [open, close) in UTC


class DurationInvalid(ValueError):
    """A duration string that cannot be an SLA target; the message names the problem."""

    def __init__(self, text: str, problem: str) -> None:
        self.text, self.problem = text, problem
        super().__init__(f"{text!r}: {problem}")


class NoOpenTime(ValueError):
    """The calendar has no open time within the search horizon, so no deadline exists."""


@dataclass(frozen=True)
class Duration:
    """An SLA target: *either* open-time seconds (``s/m/h``) *or* whole business days (``d``).

    The two kinds are kept apart because a business day is not a fixed number of seconds: a
    Saturday half-day and a full weekday are both "one day".
    """

    seconds: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for name in ("seconds", "days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Duration.{name} must be a non-negative int, got {value!r}")
        if (self.seconds > 0) == (self.days > 0):
            raise ValueError("a Duration is either seconds or days, and must be positive")

    def __str__(self) -> str:
        if self.days:
            return f"{self.days}d"
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [(hours, "h"), (minutes, "m"), (seconds, "s")]
        return "".join(f"{n}{unit}" for n, unit in parts if n)


def parse_duration(text: str) -> Duration:
    """Parse ``90s``, ``30m``, ``2h``, ``1h30m`` or ``3d`` (case and outer blanks ignored).

    Units run largest first, each at most once, so a typo like ``30m1h`` is refused rather
    than guessed at. Days do not combine with h/m/s: "1d2h" has no single meaning when days
    differ in length, so the tenant must pick one kind.
    """
    if not isinstance(text, str):
        raise DurationInvalid(repr(text), "must be a string such as 30m, 2h or 3d")
    raw = text.strip().lower()
    if not raw:
        raise DurationInvalid(text, "is empty; use a number and a unit, e.g. 30m, 2h or 3d")
    if raw.startswith("-"):
        raise DurationInvalid(text, "is negative; an SLA target must be positive")
    tokens = _TOKEN.findall(raw)
    if "".join(n + u for n, u in tokens) != raw:
        raise DurationInvalid(text, "is not <number><unit>..., e.g. 90s, 30m, 1h30m or 3d")
    units = [unit for _, unit in tokens]
    for unit in units:
        if unit != "d" and unit not in _UNIT_SECONDS:
            raise DurationInvalid(text, f"unknown unit {unit!r}; use s, m, h or d")
    if "d" in units and len(units) > 1:
        raise DurationInvalid(text, "mixes business days (d) with h/m/s; use one kind")
    order = "dhms"
    if [order.index(u) for u in units] != sorted({order.index(u) for u in units}):
        raise DurationInvalid(text, "units must appear once each, largest first (h, m, s)")
    if units == ["d"]:
        days = int(tokens[0][0])
        if days == 0:
            raise DurationInvalid(text, "is zero; an SLA target must be positive")
        if days > MAX_DURATION_DAYS:
            raise DurationInvalid(text, f"exceeds {MAX_DURATION_DAYS} days")
        return Duration(days=days)
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in tokens)
    if seconds == 0:
        raise DurationInvalid(text, "is zero; an SLA target must be positive")
    if seconds > MAX_DURATION_DAYS * 86400:
        raise DurationInvalid(text, f"exceeds {MAX_DURATION_DAYS} days")
    return Duration(seconds=seconds)


class Calendar(Protocol):
    """What SLA code needs from a calendar; all results are UTC-aware datetimes."""

    def add(self, start: dt.datetime, duration: Duration) -> dt.datetime: ...
    def shift(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime: ...
    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta: ...
    def is_open(self, at: dt.datetime) -> bool: ...
    def next_open(self, at: dt.datetime) -> dt.datetime: ...


def _utc(value: dt.datetime, name: str = "datetime") -> dt.datetime:
    """Refuse naive datetimes: guessing their zone is how deadlines drift by eight hours."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _check_delta(delta: dt.timedelta) -> None:
    if delta < dt.timedelta(0):
        raise ValueError(f"cannot add negative open time ({delta})")


class AlwaysOpen:
    """The "24x7" calendar: open time is plain elapsed time and "3d" is 72 real hours."""

    def add(self, start: dt.datetime, duration: Duration) -> dt.datetime:
        return _utc(start, "start") + dt.timedelta(seconds=duration.seconds, days=duration.days)

    def shift(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        _check_delta(delta)
        return _utc(start, "start") + delta

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        return max(_utc(end, "end") - _utc(start, "start"), dt.timedelta(0))

    def is_open(self, at: dt.datetime) -> bool:
        _utc(at, "at")
        return True

    def next_open(self, at: dt.datetime) -> dt.datetime:
        return _utc(at, "at")

    def __repr__(self) -> str:
        return "AlwaysOpen()"


class StoreCalendar:
    """A store's open time: weekly (split) shifts in its own zone, minus holidays."""

    def __init__(self, hours: Mapping[str, str], holidays: Sequence[str], timezone: str) -> None:
        self._weekly = parse_weekly_hours(hours)
        self._holidays = parse_holidays(holidays)
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"timezone: {timezone!r} is not an IANA time zone") from None
        self._timezone = timezone
        # Per-instance cache: a deadline sweep asks about the same few weeks over and over.
        self._day = lru_cache(maxsize=1024)(self._compute_day)

    def __repr__(self) -> str:
        return f"StoreCalendar(timezone={self._timezone!r})"

    def _boundary(self, day: dt.date, minute: int) -> dt.datetime:
        """Local ``day`` + ``minute`` (1440 = next midnight) as UTC, fold=0 in gaps/folds."""
        if minute == 1440:
            day, minute = day + dt.timedelta(days=1), 0
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self._zone)
        return local.astimezone(UTC)

    def _compute_day(self, day: dt.date) -> tuple[Interval, ...]:
        """The open intervals of one local day, in UTC, sorted and disjoint."""
        if day in self._holidays:
            return ()
        out: list[Interval] = []
        for start_min, end_min in self._weekly[DAYS[day.weekday()]]:
            start, end = self._boundary(day, start_min), self._boundary(day, end_min)
            if out:  # a spring-forward gap can make fold=0 boundaries run backwards
                start = max(start, out[-1][1])
            if end > start:
                out.append((start, end))
        return tuple(out)

    def _local_date(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self._zone).date()

    def _walk(self, at: dt.datetime) -> Iterator[Interval]:
        """Open intervals ending after ``at``, in order, forever - or NoOpenTime if none.

        Starts a day early so that a zone transition at midnight cannot hide the interval
        that contains ``at``; gives up after MAX_CLOSED_DAYS consecutive days without one.
        """
        day = self._local_date(at) - dt.timedelta(days=1)
        closed = 0
        while True:
            found = False
            for start, end in self._day(day):
                if end > at:
                    found = True
                    yield start, end
            closed = 0 if found else closed + 1
            if closed > MAX_CLOSED_DAYS:
                raise NoOpenTime(
                    f"no open time within {MAX_CLOSED_DAYS} days of {at.isoformat()}: "
                    "every day is closed or a holiday"
                )
            day += dt.timedelta(days=1)

    def is_open(self, at: dt.datetime) -> bool:
        at = _utc(at, "at")
        day = self._local_date(at)
        return any(
            start <= at < end
            for d in (day - dt.timedelta(days=1), day)
            for start, end in self._day(d)
        )

    def next_open(self, at: dt.datetime) -> dt.datetime:
        at = _utc(at, "at")
        start, _ = next(self._walk(at))
        return max(start, at)

    def shift(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """``start`` plus ``delta`` of open time; a zero delta leaves ``start`` where it is.

        Zero is special-cased because a deadline that sits exactly at closing time must not
        jump to the next opening when an empty pause is applied to it.
        """
        start = _utc(start, "start")
        _check_delta(delta)
        if not delta:
            return start
        return self._consume(start, delta)

    def _consume(self, at: dt.datetime, remaining: dt.timedelta) -> dt.datetime:
        """Spend ``remaining`` (> 0) open time from ``at``; landing on a close returns it."""
        for start, end in self._walk(at):
            start = max(start, at)
            if remaining <= end - start:
                return start + remaining
            remaining -= end - start
        raise AssertionError("unreachable: _walk is infinite or raises")  # pragma: no cover

    def add(self, start: dt.datetime, duration: Duration) -> dt.datetime:
        start = _utc(start, "start")
        if duration.seconds:
            return self._consume(start, dt.timedelta(seconds=duration.seconds))
        return self._add_days(start, duration.days)

    def _add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """N business days: the same open-time position on the N-th following open day.

        The position is the open time since the clock-start day's first opening. If the
        target day is shorter (a Saturday half-day), the deadline is that day's close.
        """
        clock = self.next_open(start)
        day = self._local_date(clock)
        position = sum(
            (min(end, clock) - begin for begin, end in self._day(day) if begin < clock),
            dt.timedelta(0),
        )
        closed = 0
        while days:
            day += dt.timedelta(days=1)
            if self._day(day):
                days, closed = days - 1, 0
                continue
            closed += 1
            if closed > MAX_CLOSED_DAYS:
                raise NoOpenTime(f"no open day within {MAX_CLOSED_DAYS} days of {day}")
        intervals = self._day(day)
        if not position:
            return intervals[0][0]
        for begin, end in intervals:
            if position <= end - begin:
                return begin + position
            position -= end - begin
        return intervals[-1][1]

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Open time in [start, end); zero if ``end <= start``. Never raises on closed stores."""
        start, end = _utc(start, "start"), _utc(end, "end")
        total = dt.timedelta(0)
        if end <= start:
            return total
        day, last = self._local_date(start) - dt.timedelta(days=1), self._local_date(end)
        while day <= last:
            for begin, close in self._day(day):
                overlap = min(close, end) - max(begin, start)
                if overlap > dt.timedelta(0):
                    total += overlap
            day += dt.timedelta(days=1)
        return total


def calendar_for(
    kind: str,
    *,
    hours: Mapping[str, str] | None = None,
    holidays: Sequence[str] | None = None,
    timezone: str | None = None,
) -> Calendar:
    """The calendar an SLA policy names: ``"24x7"`` or ``"store"`` (the store's own hours)."""
    if kind == "24x7":
        return AlwaysOpen()
    if kind == "store":
        if hours is None or not timezone:
            raise ValueError("a 'store' calendar needs the store's hours and timezone")
        return StoreCalendar(hours, holidays or (), timezone)
    raise ValueError(f"calendar kind {kind!r} is unknown; use '24x7' or 'store'")
