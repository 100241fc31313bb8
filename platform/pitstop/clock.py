"""The clock every time rule reads: token expiry, lock-outs, SLA timers, schedules.

One :class:`Clock` is made per runtime and handed to everything that tells time (the
plugin host, the scheduler, the relay, the API's providers), so a test moves time for all
of them at once with :meth:`Clock.set` instead of sleeping, and nothing has to be rewired
after it is built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pitstop.db.base import utcnow

Now = Callable[[], dt.datetime]


class Clock:
    """A callable returning the current instant (timezone-aware UTC), from ``source``."""

    def __init__(self, source: Now = utcnow) -> None:
        self._source = source

    def __call__(self) -> dt.datetime:
        return self._source()

    def set(self, source: Now) -> None:
        """Read time from ``source`` from now on (tests: ``clock.set(lambda: moment)``)."""
        self._source = source
