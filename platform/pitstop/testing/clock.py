"""The kit's clock: one instant that a test moves by hand, never by sleeping.

Everything time-dependent in Pitstop reads the injected clock (token expiry, ``ctx.now()``,
``ctx.defer`` instants, SLA timers), so moving this one object moves the whole app; it is
also what :meth:`~pitstop.testing.PluginApp.drain` compares deferred tasks against.
"""

from __future__ import annotations

import datetime as dt

DEFAULT_START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
"""10 March 2026, 10:00 in Shanghai: a Tuesday in business hours, far from any month end."""


class Clock:
    """A callable clock (``clock()`` is the current instant, aware, UTC)."""

    def __init__(self, start: dt.datetime = DEFAULT_START) -> None:
        self._now = _aware(start)

    def __call__(self) -> dt.datetime:
        return self._now

    def now(self) -> dt.datetime:
        return self._now

    def set(self, instant: dt.datetime) -> dt.datetime:
        """Jump to ``instant`` (earlier or later); returns it, in UTC."""
        self._now = _aware(instant)
        return self._now

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by ``timedelta(**delta)``: ``clock.advance(days=3, hours=2)``."""
        step = dt.timedelta(**delta)
        if step < dt.timedelta(0):
            raise ValueError("advance() moves forward; use set() to go back")
        return self.set(self._now + step)


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("give the clock an aware datetime (a naive one has no instant)")
    return instant.astimezone(dt.UTC)
