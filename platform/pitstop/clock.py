"""The clock every time rule reads: token expiry, lock-outs, SLA timers, schedules.

One :class:`SettableClock` is made per runtime and handed to everything that tells time (the
plugin host, the scheduler, the relay, the API's providers), so a test moves time for all
of them at once with :meth:`SettableClock.set` instead of sleeping, and nothing has to be rewired
after it is built.
"""

from __future__ import annotations

import datetime as dt

from pitstop.db.base import Clock, utcnow


class SettableClock:
    """A callable returning the current instant (timezone-aware UTC), from ``source``."""

    def __init__(self, source: Clock = utcnow) -> None:
        self._source = source

    def __call__(self) -> dt.datetime:
        return self._source()

    def set(self, source: Clock) -> None:
        """Read time from ``source`` from now on (tests: ``clock.set(lambda: moment)``)."""
        self._source = source
