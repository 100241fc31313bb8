"""The session's demo snapshot restores exactly what provisioning wrote, and only where
provisioning would have started from nothing with the same plugins."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import tests.support.demo_snapshots as snapshots_module
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.conftest import _truncate_postgres
from tests.plugins import sample
from tests.support.demo_snapshots import (
    PostgresSnapshots,
    Snapshots,
    SqliteSnapshots,
    install_demo,
    plugin_set,
)
from tests.support.factories import make_tenant

Rows = dict[str, list[str]]


class Database:
    """The test's database seen from above the walls: every row, and a way to empty it."""

    def __init__(self, settings: Settings, request: pytest.FixtureRequest, tmp: Path) -> None:
        self.settings, self.request, self.tmp = settings, request, tmp
        self.path = make_url(settings.database_url).database or ""
        if settings.is_postgres:
            server = request.getfixturevalue("postgres_server")
            self.admin_dsn = server.dsn(self.path, driver="postgresql")

    def snapshots(self) -> Snapshots:
        if self.settings.is_postgres:
            return PostgresSnapshots(self.admin_dsn)
        return SqliteSnapshots(self.tmp)

    async def rows(self) -> Rows:
        if self.settings.is_postgres:
            import asyncpg

            connection = await asyncpg.connect(self.admin_dsn)
            try:
                names = await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
                return {
                    n["tablename"]: sorted(
                        repr(tuple(r)) for r in await connection.fetch(f'TABLE "{n["tablename"]}"')
                    )
                    for n in names
                }
            finally:
                await connection.close()
        db = sqlite3.connect(self.path)
        try:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {n: sorted(repr(r) for r in db.execute(f'SELECT * FROM "{n}"')) for n in names}
        finally:
            db.close()

    async def empty(self) -> None:
        if self.settings.is_postgres:
            await _truncate_postgres(self.settings)
        else:
            # The backup API, not a file copy: the runtime's pool holds connections open on
            # this file, and a file copied under them would leave their caches stale.
            template = str(self.request.getfixturevalue("sqlite_template"))
            await asyncio.to_thread(snapshots_module.backup_copy, template, self.path)


@pytest.fixture
def database(settings: Settings, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    snapshots_dir = tmp_path / f"snapshots-{uuid.uuid4().hex[:6]}"
    snapshots_dir.mkdir()
    return Database(settings, request, snapshots_dir)


@pytest.fixture
def provisions(monkeypatch: pytest.MonkeyPatch) -> list[Runtime]:
    """Every real provisioning of the demo, in order."""
    calls: list[Runtime] = []
    provision = snapshots_module.provision_demo_tenants

    async def counted(runtime: Runtime) -> None:
        calls.append(runtime)
        await provision(runtime)

    monkeypatch.setattr(snapshots_module, "provision_demo_tenants", counted)
    return calls


async def test_a_restored_demo_is_row_for_row_the_provisioned_one(
    runtime: Runtime, database: Database, provisions: list[Runtime]
) -> None:
    # Given the demo provisioned for real into an empty database, and snapshot
    snapshots = database.snapshots()
    await install_demo(runtime, snapshots)
    provisioned = await database.rows()
    # When the database is emptied and the demo installed again
    await database.empty()
    await install_demo(runtime, snapshots)
    # Then it was restored, not provisioned again, and every table holds the same rows
    assert len(provisions) == 1
    assert await database.rows() == provisioned
    assert any(provisioned[t] for t in ("tenants", "users", "roles", "stores"))


async def test_a_database_with_rows_gets_the_demo_provisioned_on_top(
    runtime: Runtime, database: Database, provisions: list[Runtime]
) -> None:
    # Given a snapshot, and then a test whose database already holds a tenant of its own
    snapshots = database.snapshots()
    await install_demo(runtime, snapshots)
    await database.empty()
    await make_tenant(runtime, "early-bird", stores=1)
    # When the demo is installed
    await install_demo(runtime, snapshots)
    # Then it is provisioned beside that tenant, which stays
    assert len(provisions) == 2
    tenants = (await database.rows())["tenants"]
    assert any("early-bird" in row for row in tenants) and any("demo-chain" in r for r in tenants)


async def test_another_plugin_set_gets_a_snapshot_of_its_own(
    runtime: Runtime, settings: Settings, database: Database, provisions: list[Runtime]
) -> None:
    # Given a snapshot taken with the installed plugins
    snapshots = database.snapshots()
    await install_demo(runtime, snapshots)
    await database.empty()
    # When a runtime that also runs the sample plugin (whose permission joins hq_admin's
    # template) installs the demo
    with_sample = Runtime.build(settings, extra_plugins=[sample], poolclass=NullPool)
    try:
        assert plugin_set(with_sample) != plugin_set(runtime)
        await install_demo(with_sample, snapshots)
    finally:
        await with_sample.close()
    # Then it was provisioned for that runtime: its built-in roles carry the plugin's grant
    assert len(provisions) == 2
    roles: list[Any] = (await database.rows())["roles"]
    assert any("sample:read" in row for row in roles)
