"""The demo tenants provisioned once per session, and restored into each test's database.

Provisioning the demo chain and shop through the manifests takes seconds (roles, stores,
staff, plugin settings, audit, a password hash); a test that only needs them there pays
that every time. Instead the first test provisions them for real and the resulting rows
are kept; later tests get the same rows copied into their fresh database:

* SQLite: a copy of the whole database file, written back with SQLite's backup API;
* PostgreSQL: every table's rows in binary COPY format, held in memory, copied back by
  the superuser with foreign-key triggers off (the tests' database is the same one,
  truncated between tests).

Isolation stays exact: a snapshot is restored only into a database with no rows at all
(what every test starts from), else the demo is provisioned as before; and the demo rows
depend on the runtime's plugins and permission table (built-in roles carry the plugins'
permissions), so each combination gets a snapshot of its own.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from pitstop.runtime import Runtime
from tests.support.demo import provision_demo_tenants


def plugin_set(runtime: Runtime) -> Hashable:
    """What the demo rows depend on besides the manifests: plugins and role templates."""
    plugins = tuple(
        sorted(
            (name, p.info.version, getattr(p.module, "__name__", ""))
            for name, p in runtime.plugins.plugins.items()
        )
    )
    templates = tuple(
        sorted((r, tuple(sorted(p))) for r, p in runtime.permissions.templates().items())
    )
    return plugins, templates


class Snapshots(Protocol):
    async def pristine(self, runtime: Runtime) -> bool: ...
    async def take(self, runtime: Runtime, key: Hashable) -> None: ...
    async def restore(self, runtime: Runtime, key: Hashable) -> None: ...
    def __contains__(self, key: object) -> bool: ...


async def install_demo(runtime: Runtime, snapshots: Snapshots) -> None:
    """The demo tenants in the runtime's database: restored when possible, else provisioned."""
    key = plugin_set(runtime)
    if not await snapshots.pristine(runtime):
        await provision_demo_tenants(runtime)  # something is there already: build on it
    elif key in snapshots:
        await snapshots.restore(runtime, key)
    else:
        await provision_demo_tenants(runtime)
        await snapshots.take(runtime, key)


def _user_tables(names: list[str]) -> list[str]:
    return sorted(n for n in names if not n.startswith(("alembic", "sqlite_")))


class SqliteSnapshots:
    """Whole-file copies, one per plugin set, in the session's temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[Hashable, Path] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.files

    @staticmethod
    def _path(runtime: Runtime) -> str:
        return str(make_url(runtime.settings.database_url).database)

    async def pristine(self, runtime: Runtime) -> bool:
        db = sqlite3.connect(self._path(runtime))
        try:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return not any(
                db.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in _user_tables(names)
            )
        finally:
            db.close()

    async def take(self, runtime: Runtime, key: Hashable) -> None:
        target = self.directory / f"demo-{len(self.files)}.db"
        await asyncio.to_thread(backup_copy, self._path(runtime), str(target))
        self.files[key] = target

    async def restore(self, runtime: Runtime, key: Hashable) -> None:
        await asyncio.to_thread(backup_copy, str(self.files[key]), self._path(runtime))


def backup_copy(source: str, target: str) -> None:
    """SQLite's online backup: the target becomes page for page what the source is."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


class PostgresSnapshots:
    """Each table's rows in PostgreSQL's binary COPY format, held in memory, as superuser.

    Nothing is left in the database (the catalogue stays what the migrations made).
    ``admin_dsn`` is a libpq URL for the superuser: the snapshot reads and writes past
    row-level security, which the app and owner roles are subject to (FORCE), and turns
    foreign-key triggers off while restoring (``session_replication_role``).
    """

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self.copies: dict[Hashable, dict[str, bytes]] = {}
        self.tables: list[str] | None = None

    def __contains__(self, key: object) -> bool:
        return key in self.copies

    async def _connect(self) -> Any:
        import asyncpg

        return await asyncpg.connect(self.admin_dsn)

    async def _tables(self, connection: Any) -> list[str]:
        if self.tables is None:
            rows = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            self.tables = _user_tables([r["tablename"] for r in rows])
        return self.tables

    async def pristine(self, runtime: Runtime) -> bool:
        connection = await self._connect()
        try:
            tables = await self._tables(connection)
            probe = " OR ".join(f'EXISTS (SELECT 1 FROM public."{t}")' for t in tables)
            return not await connection.fetchval(f"SELECT {probe}")
        finally:
            await connection.close()

    async def take(self, runtime: Runtime, key: Hashable) -> None:
        copies: dict[str, bytes] = {}
        connection = await self._connect()
        try:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                for table in await self._tables(connection):
                    if await connection.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                        buffer = io.BytesIO()
                        await connection.copy_from_table(
                            table, schema_name="public", output=buffer, format="binary"
                        )
                        copies[table] = buffer.getvalue()
        finally:
            await connection.close()
        self.copies[key] = copies

    async def restore(self, runtime: Runtime, key: Hashable) -> None:
        connection = await self._connect()
        try:
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")
                for table, data in self.copies[key].items():
                    await connection.copy_to_table(
                        table, schema_name="public", source=io.BytesIO(data), format="binary"
                    )
        finally:
            await connection.close()
