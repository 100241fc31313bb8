"""A connection pool for tests: connections are kept only on the loop that built the engine.

A test's runtime used to run on ``NullPool``: every session opened a connection of its own
and closed it at the end. On PostgreSQL that is a new server process per session, with
its catalogue caches to fill again, and it made a PostgreSQL test two to three times
slower than its SQLite twin (on SQLite: a new thread and four pragmas per session).

An ordinary pool cannot be used instead, because a test's engine is reached from more
than one event loop: the test and its test client share the test's loop, while a worker
started by the test runs actors on loops of its own, and an asyncpg or aiosqlite
connection belongs to the loop that opened it. So this pool keeps idle connections only
for the loop that was running when it was made (the test's own), and behaves exactly like
``NullPool`` on any other loop: those connections are opened and closed on their loop, and
never handed across.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.pool import ConnectionPoolEntry, NullPool

IDLE_LIMIT = 4
"""Connections kept idle for the home loop; a test rarely holds more than two at once."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class HomeLoopPool(NullPool):
    """``NullPool`` that keeps up to :data:`IDLE_LIMIT` connections for its home loop."""

    def __init__(
        self, creator: Any, home: asyncio.AbstractEventLoop | None = None, **kwargs: Any
    ) -> None:
        super().__init__(creator, **kwargs)
        self._home = home or _running_loop()
        self._idle: list[ConnectionPoolEntry] = []

    def _at_home(self) -> bool:
        return self._home is not None and _running_loop() is self._home

    def _do_get(self) -> Any:
        if self._idle and self._at_home():
            return self._idle.pop()
        return self._create_connection()

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        if self._at_home() and len(self._idle) < IDLE_LIMIT:
            self._idle.append(record)
        else:
            record.close()

    def status(self) -> str:
        return f"HomeLoopPool idle={len(self._idle)}"

    def dispose(self) -> None:
        """Close the idle connections - on the home loop only. A test client's portal
        shuts the app down on a loop of its own, and closing a connection of the home
        loop there fails ("attached to a different loop"); they are handed to the pool
        that replaces this one (:meth:`recreate`) and closed at the runtime's own close."""
        if not self._at_home() and self._running_home():
            return
        while self._idle:
            self._idle.pop().close()

    def _running_home(self) -> bool:
        return self._home is not None and not self._home.is_closed()

    def recreate(self) -> HomeLoopPool:
        self.logger.info("Pool recreating")
        pool = self.__class__(
            self._creator,
            home=self._home,
            recycle=self._recycle,
            echo=self.echo,
            pre_ping=self._pre_ping,
            logging_name=self._orig_logging_name,
            reset_on_return=self._reset_on_return,
            _dispatch=self.dispatch,
            dialect=self._dialect,
        )
        pool._idle, self._idle = self._idle, []  # those a dispose away from home left
        return pool
