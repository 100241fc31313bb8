"""Row counts across every tenant, read from above the walls: the test's own eyes.

Isolation tests snapshot whole tables before and after an attack. The app cannot do that:
on PostgreSQL no app-role session sees another tenant's rows (there is no switch), so the
census reads as the server's superuser; on SQLite it reads through a bare engine
connection, beneath the ORM wall.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from pitstop.db.engine import create_engine
from pitstop.runtime import Runtime


class Census:
    def __init__(self, runtime: Runtime, postgres_server: Any | None) -> None:
        self.runtime = runtime
        self.postgres_server = postgres_server

    async def __call__(self, tables: Iterable[str]) -> dict[str, int]:
        if self.postgres_server is None:
            return await _count(self.runtime.engine, tables)
        engine = create_engine(self.postgres_server.dsn("pitstop_test"), poolclass=NullPool)
        try:
            return await _count(engine, tables)
        finally:
            await engine.dispose()


async def _count(engine: Any, tables: Iterable[str]) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table: int((await connection.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar())
            for table in tables
        }
