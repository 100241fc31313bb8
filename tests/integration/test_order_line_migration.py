"""Migration 0007 (decimal quantities, discounts) goes down and up again on both databases,
and refuses to go down while a line holds what the older schema cannot."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from pitstop.bootstrap.migrate import alembic_config, installed_plugin_dirs, upgrade
from pitstop.settings import Settings
from tests.conftest import BACKENDS, make_settings

Run = Callable[[str], None]


@dataclass
class Database:
    """A database of its own (it is migrated down and up), and a way in as its superuser."""

    settings: Settings
    admin_url: str
    run: Run

    def scalar(self, sql: str) -> Any:
        async def read() -> Any:
            engine = create_async_engine(self.admin_url)
            try:
                async with engine.connect() as connection:
                    return (await connection.execute(text(sql))).scalar()
            finally:
                await engine.dispose()

        return asyncio.run(read())

    def column_type(self, table: str, column: str) -> str:
        async def read() -> str:
            engine = create_async_engine(self.admin_url)
            try:
                async with engine.connect() as connection:
                    columns = await connection.run_sync(
                        lambda sync: {c["name"]: c for c in inspect(sync).get_columns(table)}
                    )
            finally:
                await engine.dispose()
            return str(columns[column]["type"]) if column in columns else "absent"

        return asyncio.run(read())


def _pg(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    request.getfixturevalue("postgres_database")  # the owner and app roles exist
    server = request.getfixturevalue("postgres_server")
    name = f"migration_{uuid.uuid4().hex[:12]}"
    server.execute(f'CREATE DATABASE "{name}" OWNER pitstop_owner')
    server.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC", dbname=name)
    server.execute("ALTER SCHEMA public OWNER TO pitstop_owner", dbname=name)
    settings = make_settings(
        tmp_path, server.dsn(name, user="pitstop_app"), server.dsn(name, user="pitstop_owner")
    )
    return Database(settings, server.dsn(name), lambda sql: server.execute(sql, dbname=name))


def _sqlite(tmp_path: Path) -> Database:
    path = tmp_path / "migration.db"
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{path}")

    def run(sql: str) -> None:
        with sqlite3.connect(path) as connection:
            connection.execute(sql)

    return Database(settings, settings.migration_database_url, run)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return _pg(request, tmp_path) if request.param == "postgres" else _sqlite(tmp_path)


def _downgrade(settings: Settings) -> None:
    command.downgrade(alembic_config(settings, installed_plugin_dirs(settings)), "0007-1")


NOW = "'2026-11-30 00:00:00'"
SEED = {
    "tenants": "id, slug, name, kind, timezone, currency, status, settings, created_at,"
    " updated_at) VALUES ({t}, 'm', 'M', 'chain', 'Asia/Shanghai', 'CNY', 'active', '{{}}'",
    "stores": "tenant_id, id, code, name, city, region, timezone, hours, holidays, active,"
    " created_at, updated_at) VALUES ({t}, {s}, 'SH001', 'S', 'C', 'urban', 'Asia/Shanghai',"
    " '{{}}', '[]', TRUE",
    "customers": "tenant_id, id, name, occupation, usage, source, tags, marketing_consent,"
    " created_at, updated_at) VALUES ({t}, {c}, 'N', 'other', 'private', 'walk_in', '[]', FALSE",
    "vehicles": "tenant_id, id, customer_id, fuel, created_at, updated_at)"
    " VALUES ({t}, {v}, {c}, 'petrol'",
    "service_orders": "tenant_id, id, store_id, customer_id, vehicle_id, status, currency,"
    " total, labor_total, parts_total, amounts, opened_at, created_at, updated_at)"
    " VALUES ({t}, {o}, {s}, {c}, {v}, 'open', 'CNY', 8996, 0, 8996, '{{}}', " + NOW,
}


def _line(run: Run, kind: str, quantity: str) -> str:
    """One whole order (every foreign key holds: SQLite's batch copy checks them)."""
    ids = {k: f"'{uuid.uuid4().hex}'" for k in ("t", "s", "c", "v", "o", "i")}
    for table, values in SEED.items():
        run(f"INSERT INTO {table} ({values.format(**ids)}, {NOW}, {NOW})")
    run(
        "INSERT INTO service_order_lines (tenant_id, id, order_id, position, kind, category,"
        f" description, quantity, unit_price, amount) VALUES ({ids['t']}, {ids['i']},"
        f" {ids['o']}, 0, '{kind}', 'maintenance', 'x', {quantity}, 1999, 8996)"
    )
    return ids["i"]


@pytest.mark.parametrize(("kind", "quantity"), [("part", "4.5"), ("discount", "1")])
def test_downgrade_refuses_lines_the_old_schema_cannot_hold(
    database: Database, kind: str, quantity: str
) -> None:
    # Given a database at head holding one line with a fractional quantity or a discount
    settings = database.settings
    upgrade(settings)
    line_id = _line(database.run, kind, quantity)
    # When it is downgraded below 0007
    # Then the downgrade stops and says why, and the schema is untouched
    with pytest.raises(RuntimeError, match="cannot downgrade below 0007"):
        _downgrade(settings)
    assert database.column_type("service_orders", "discount_total") != "absent"
    # And once that line is gone the downgrade goes through
    database.run(f"DELETE FROM service_order_lines WHERE id = {line_id}")
    _downgrade(settings)
    assert database.column_type("service_orders", "discount_total") == "absent"


def test_downgrade_and_upgrade_keep_whole_quantities(database: Database) -> None:
    # Given a database at head with a line of quantity 2
    settings = database.settings
    upgrade(settings)
    line_id = _line(database.run, "part", "2")
    quantity = f"SELECT quantity FROM service_order_lines WHERE id = {line_id}"
    # When it goes down below 0007, the quantity is a whole number
    _downgrade(settings)
    assert database.column_type("service_order_lines", "quantity") == "INTEGER"
    assert database.scalar(quantity) == 2
    # And when it comes up again
    # (0007 first, then whatever later core revisions the downgrade took with it)
    assert upgrade(settings)[0] == "core 0007_order_line_quantities"
    # Then the quantity is an exact numeric again and the line kept its value
    assert database.column_type("service_order_lines", "quantity") == "NUMERIC(12, 3)"
    assert Decimal(str(database.scalar(quantity))) == 2
