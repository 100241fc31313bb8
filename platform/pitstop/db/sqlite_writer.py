"""One SQLite writer at a time per process, in the order they asked: a fair queue in front
of ``BEGIN IMMEDIATE``.

SQLite's own queue for its write lock is its busy handler, and that is no queue: a writer
that finds the lock taken sleeps (1, 2, 5 … up to 100 ms) and tries again, so the lock
sits idle between a commit and the next poll, and under a steady stream of writers one
can lose every poll until the busy timeout fails it with "database is locked" (issue 21:
0-4 timer tasks a run in the complaints benchmark). Embedded mode runs the API, worker
threads and scheduler in one process, so the process can queue its own writers instead:
a transaction that will write waits here (on its event loop, never blocking it) before it
begins, and the connection hands the turn to the next waiter, first come first served, as
it goes back to the pool — after its commit or rollback. The busy handler stays as the
backstop for other processes on the same file (``pitstop migrate``, a second server).

The wait is bounded by the same busy timeout: a writer still waiting then fails with
SQLite's own "database is locked", as before, rather than hanging.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

_HOLDS = "pitstop_writer_turn"
"""``connection_record.info`` key: this pooled connection holds its file's turn."""


class WriterQueue:
    """A first-come, first-served lock that any thread's event loop can wait on."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        """How many writers wait for their turn."""
        return len(self._waiting)

    async def acquire(self, patience: float) -> None:
        loop = asyncio.get_running_loop()
        with self._guard:
            if not self._held:
                self._held = True
                return
            turn: asyncio.Future[None] = loop.create_future()
            self._waiting.append((loop, turn))
        try:
            await asyncio.wait_for(asyncio.shield(turn), patience)
        except TimeoutError:
            with self._guard:
                if (loop, turn) in self._waiting:  # not handed over yet: leave the queue
                    self._waiting.remove((loop, turn))
                    raise sqlite3.OperationalError("database is locked") from None
            await turn  # handed over meanwhile: the turn is ours
        except BaseException:
            with self._guard:
                if (loop, turn) in self._waiting:
                    self._waiting.remove((loop, turn))
                    raise
            self.release()  # handed over as we were cancelled: pass it on
            raise

    def release(self) -> None:
        """Hand the turn to the first waiter whose loop still runs: a waiter whose loop was
        closed under it (a shut-down thread) would otherwise keep the turn for ever."""
        while True:
            with self._guard:
                if not self._waiting:
                    self._held = False
                    return
                loop, turn = self._waiting.popleft()
            try:
                loop.call_soon_threadsafe(_hand_over, turn)
                return
            except RuntimeError:  # its loop is closed: nobody is left to take the turn
                continue


def _hand_over(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)


_QUEUES: dict[str, WriterQueue] = {}
_QUEUES_GUARD = threading.Lock()


def writer_queue(database: str) -> WriterQueue:
    """The process's queue for one database file (two engines on a file share it)."""
    with _QUEUES_GUARD:
        return _QUEUES.setdefault(database, WriterQueue())


def queue_writers(engine: Engine, database: str, patience: float) -> Callable[[Connection], None]:
    """``engine``'s writers' wait for their turn, to call before ``BEGIN IMMEDIATE``; the
    turn is given back when the connection returns to the pool (its transaction ended)."""
    queue = writer_queue(database)

    @event.listens_for(engine, "checkin")
    def _give_back(dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_HOLDS, False):
            queue.release()

    def take_turn(connection: Connection) -> None:
        info = connection.connection.info
        if info.get(_HOLDS) or not in_greenlet():
            return  # this connection's turn already (a second transaction), or sync use
        await_only(queue.acquire(patience))
        info[_HOLDS] = True

    return take_turn
