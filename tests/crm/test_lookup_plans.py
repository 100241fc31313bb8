"""Lookup by phone and by plate stays an index scan: the plans of the app's own queries.

The statements are captured from real API calls (so the ORM wall's tenant criteria and
keyset ordering are included) and EXPLAINed as the app role, under row-level security.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.conftest import ON_POSTGRES
from tests.crm.conftest import Crm
from tests.crm.pgbulk import bulk_phone, bulk_plate, load, load_customers_sql
from tests.support.servers import PostgresServer

BOOK = 30_000


pytestmark = ON_POSTGRES  # plans are a PostgreSQL matter


async def _captured(crm: Crm, url: str, marker: str) -> tuple[str, Any]:
    """The SQL (and parameters) the app sent for ``url`` whose text contains ``marker``."""
    seen: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    engine = crm.demo.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = await crm.demo.client.get(url, headers=await crm.headers())
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and len(response.json()["items"]) == 1, response.text
    return next((s, p) for s, p in seen if "FROM customers" in s and marker in s)


async def _plan(runtime: Runtime, tenant: str, statement: str, parameters: Any) -> str:
    async with runtime.engine.connect() as connection:
        await connection.execute(
            text("SELECT set_config('pitstop.tenant_id', :t, true)"), {"t": tenant}
        )
        rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        plan = "\n".join(r[0] for r in rows)
        await connection.rollback()
    return plan


async def test_lookup_by_phone_and_plate_uses_indexes(
    crm: Crm, postgres_server: PostgresServer, postgres_database: Settings
) -> None:
    # Given the chain holds 30,000 customers, each with a vehicle, and statistics are fresh
    dbname = make_url(postgres_database.database_url).database
    assert dbname is not None
    load(postgres_server, dbname, load_customers_sql(crm.tenant_id, BOOK))
    # When the front desk looks a customer up by phone and by plate
    phone_sql = await _captured(
        crm, f"/api/v1/customers?q={quote(bulk_phone(12_345))}", "customers.phone ="
    )
    plate_sql = await _captured(
        crm, f"/api/v1/customers?q={quote(bulk_plate(12_345))}", "vehicles.plate ="
    )
    # Then both statements are answered from indexes, never by scanning the book's tables
    # (the derived figures' subqueries read service_orders, which this book leaves empty:
    # scanning an empty table is the planner's right choice)
    phone_plan = await _plan(crm.demo.runtime, str(crm.tenant_id), *phone_sql)
    plate_plan = await _plan(crm.demo.runtime, str(crm.tenant_id), *plate_sql)
    assert "uq_customers_tenant_id_phone" in phone_plan, phone_plan
    assert "uq_vehicles_tenant_id_plate" in plate_plan, plate_plan
    for plan in (phone_plan, plate_plan):
        for table in ("customers", "vehicles"):
            assert f"Seq Scan on {table}" not in plan, plan
