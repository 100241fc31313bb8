"""When a message may go: quiet hours in the tenant's zone and frequency caps per purpose.

Pure functions of the injected clock's instant, so tests move time instead of waiting.
Quiet hours are read in the tenant's IANA zone on the local wall clock, so a DST change
(Europe/Berlin) moves the window with the day, and a window that spans midnight
(21:00–09:00) is one window, not two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(9, 0)


@dataclass(frozen=True)
class Cap:
    """At most ``count`` messages of a purpose within ``within`` (per template if set)."""

    count: int
    within: dt.timedelta
    per_template: bool = False


CAPS = {
    "marketing": Cap(2, dt.timedelta(days=7)),
    "service": Cap(1, dt.timedelta(days=1), per_template=True),
}
"""The defaults of the issue: marketing ≤ 2 per 7 days, service ≤ 1 per day per template.
Transactional messages (what the customer asked for) have no cap."""


def _quiet(local: dt.time, start: dt.time, end: dt.time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(
    now: dt.datetime,
    timezone: str,
    *,
    start: dt.time = QUIET_START,
    end: dt.time = QUIET_END,
) -> dt.datetime | None:
    """The instant (UTC) the quiet hours around ``now`` end, or None outside them.

    The end is the next local ``end`` wall-clock time, resolved in the zone on its own
    date, so a message held over a DST night goes at 09:00 local, not 08:00 or 10:00.
    """
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    if not _quiet(local.time(), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    opens = dt.datetime.combine(day, end, tzinfo=zone)
    return opens.astimezone(dt.UTC)


def cap_exceeded(cap: Cap, recent: int) -> bool:
    """``recent`` counts the purpose's messages that went (or are going) in the window."""
    return recent >= cap.count
