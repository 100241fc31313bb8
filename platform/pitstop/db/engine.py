"""Engines and sessions for both backends.

SQLite (embedded) gets WAL, a busy timeout and enforced foreign keys on every connection:
without ``foreign_keys=ON`` the composite tenant foreign keys would be decoration.
PostgreSQL connections are used as the app role; the tenant reaches row-level security
through ``set_config`` in :mod:`pitstop.db.guard`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from pitstop.db.guard import install_database_wall
from pitstop.db.on_commit import install_on_commit

SQLITE_BUSY_TIMEOUT_MS = 10_000


class PitstopSession(Session):
    """The sync session class behind every AsyncSession; the walls hang off it."""


install_database_wall(PitstopSession)
install_on_commit(PitstopSession)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if kwargs.get("poolclass") is None:
        kwargs.pop("poolclass", None)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


SessionFactory = async_sessionmaker[AsyncSession]


def session_factory(engine: AsyncEngine, info: dict[str, Any] | None = None) -> SessionFactory:
    """``info`` reaches every session (the outbox reads its relay nudge from it)."""
    return async_sessionmaker(
        engine,
        sync_session_class=PitstopSession,
        expire_on_commit=False,
        autoflush=True,
        info=info or {},
    )


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on any error (never half-written)."""
    async with factory() as session, session.begin():
        yield session
