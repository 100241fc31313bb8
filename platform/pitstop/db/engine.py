"""Engines and sessions for both backends.

SQLite (embedded) gets WAL, a busy timeout, enforced foreign keys (without
``foreign_keys=ON`` the composite tenant foreign keys would be decoration) and
``BEGIN IMMEDIATE`` transactions on every connection, except those a caller declares
read-only (:data:`READ_ONLY`), which begin deferred and so never queue for the write lock.
PostgreSQL connections are used as the app role; the tenant reaches row-level security
through ``set_config`` in :mod:`pitstop.db.guard`.
Every engine runs with ``hide_parameters=True``: a failing statement's error (and so any
traceback that prints it) shows the SQL, never the customer's values bound into it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from pitstop.db.guard import install_database_wall, install_orm_wall
from pitstop.db.on_commit import install_on_commit
from pitstop.db.pg_begin import tenant_begin_dbapi
from pitstop.db.sqlite_writer import queue_writers

SQLITE_BUSY_TIMEOUT_MS = 10_000

READ_ONLY = "pitstop_read_only"
"""An execution option: ``await session.connection(execution_options={READ_ONLY: True})``
before a transaction's first statement says it will only read (authentication does)."""

READS_ONLY = "reads_only"
"""A route's ``opt`` key: its transaction only reads, so on SQLite it begins deferred and
does not queue behind the writers. The ORM wall refuses a write in such a transaction
(``READ_ONLY_SESSION``), so a route that starts writing fails its tests at once
instead of meeting "database is locked" under load."""


class PitstopSession(Session):
    """The sync session class behind every AsyncSession; the walls hang off it."""


install_orm_wall(PitstopSession)
install_database_wall(PitstopSession)
install_on_commit(PitstopSession)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        take_turn = queue_writers(
            engine.sync_engine, engine.url.database or "", SQLITE_BUSY_TIMEOUT_MS / 1000
        )
        event.listen(engine.sync_engine, "begin", partial(_sqlite_begin_immediate, take_turn))
        return engine
    # No pre-ping: it cost a round trip per checkout. A connection the server closed fails
    # its first statement; SQLAlchemy then invalidates the whole pool, and authentication
    # (every request's first read) retries once on a fresh connection.
    if kwargs.get("poolclass") is None:
        kwargs.pop("poolclass", None)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    if url.startswith("postgresql+asyncpg"):
        kwargs.setdefault("module", tenant_begin_dbapi())  # the tenant setting with BEGIN
    return create_async_engine(url, **kwargs)


LOCAL_DAY_FUNCTION = "pitstop_local_day"
"""The SQL function SQLite is given (it has no zone data) for an instant's local day."""


def sqlite_local_day(stored: str | None, timezone: str) -> str | None:
    """``pitstop_local_day(completed_at, zone)``: the UTC instant as SQLite stores it (naive
    ISO text), its day in ``zone``, as the ISO text SQLite keeps dates in."""
    if stored is None:
        return None
    moment = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # We issue BEGIN ourselves (below); the driver's implicit BEGIN would be DEFERRED.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite has no zone data: the set-based rebuilds ask Python for an instant's local day.
    dbapi_connection.create_function(LOCAL_DAY_FUNCTION, 2, sqlite_local_day, deterministic=True)


def _sqlite_begin_immediate(take_turn: Callable[[Any], None], connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, waiting up to the busy timeout.

    A DEFERRED transaction that reads and then writes must upgrade its lock; when another
    writer holds it, SQLite fails at once with "database is locked" (waiting could
    deadlock), and the busy timeout does not apply. Embedded mode runs the API, worker
    threads and scheduler on one file, so writers meet often: IMMEDIATE makes them queue.
    Readers in WAL mode are not blocked by the writer; transactions simply run one
    writer at a time, which is what SQLite does anyway. A transaction declared read-only
    begins deferred: it never writes, so it cannot meet the upgrade failure, and it need
    not wait behind the writers. The process's own writers first wait their turn in a
    fair queue (:mod:`pitstop.db.sqlite_writer`), so the busy handler's polling is not
    what orders them.
    """
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        take_turn(connection)
        connection.exec_driver_sql("BEGIN IMMEDIATE")


SessionFactory = async_sessionmaker[AsyncSession]


def session_factory(engine: AsyncEngine, info: dict[str, Any] | None = None) -> SessionFactory:
    """``info`` reaches every session (the outbox reads its relay nudge from it); it is
    given here, when the factory is made, never added to the factory afterwards."""
    return async_sessionmaker(
        engine,
        sync_session_class=PitstopSession,
        expire_on_commit=False,
        autoflush=True,
        info=info or {},
    )
