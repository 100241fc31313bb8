"""The kit's broker: it only keeps what the app sends, until a test drains it.

A real worker runs messages on its own threads when their real-time delay expires, so a
task deferred three days ahead by an injected clock would wait three real days. Here
nothing runs until :meth:`~pitstop.testing.PluginApp.drain`, and a message is due when the
kit's clock says so: ``clock.advance(days=3)`` then ``drain()`` runs what fell due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dramatiq import Message
from dramatiq.brokers.stub import StubBroker


@dataclass
class Pending:
    """One message the app sent, with the instant (by the kit's clock) it falls due."""

    message: Message[Any]
    due: dt.datetime
    attempts: int = 0
    errors: list[BaseException] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return self.message.actor_name


class KitBroker(StubBroker):
    """Records messages instead of queueing them for worker threads."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        super().__init__()
        self.clock = clock
        self.pending: list[Pending] = []

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        due = self.clock() + dt.timedelta(milliseconds=delay or 0)
        self.pending.append(Pending(message, due))
        return message

    def take_due(self) -> Pending | None:
        """The earliest-sent message due by now, removed from the queue (None: none is)."""
        now = self.clock()
        for index, pending in enumerate(self.pending):
            if pending.due <= now:
                return self.pending.pop(index)
        return None


class DrainError(AssertionError):
    """Messages that still failed after their retries; the first failure is the cause."""

    def __init__(self, failed: list[Pending]) -> None:
        self.failed = failed
        lines = [f"{p.actor} {list(p.message.args)}: {p.errors[-1]!r}" for p in failed]
        super().__init__("drain(): messages failed after retries:\n  " + "\n  ".join(lines))
