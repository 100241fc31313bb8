"""Bulk-loading retention's bench fleet with SQL: tenants, a store each, customers, cars,
two completed services per car and their odometer readings, retention enabled.

Loading through the app costs hours for the issue's 10,000 tenants on the shared machine;
``generate_series`` as the PostgreSQL superuser (row-level security bypassed, as
tests/bench/test_bench_insights.py loads its chains) takes minutes. Ids are derived from
the tenant and car numbers (``md5(...)::uuid``), so each table is one statement and a
later step adds tenants ``first..last`` beside the earlier ones. Car ``n`` (0-based across
the fleet) drives ``10 + n % 90`` km a day, was last serviced ``n * 7 % 400`` days before
``now`` and 180 days before that: due dates, stages and churn states spread over the year.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.servers import PostgresServer

CARS = """
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS t
CROSS JOIN generate_series(0, CAST(:vehicles AS int) - 1) AS v
CROSS JOIN LATERAL (SELECT t * CAST(:vehicles AS int) + v AS n, md5('rt' || t)::uuid AS tenant) AS x
"""
VISITS = (
    CARS
    + """
CROSS JOIN generate_series(0, 1) AS k
CROSS JOIN LATERAL (
    SELECT md5('ro' || n || '-' || k)::uuid AS order_id,
           CAST(:now AS timestamptz) - ((n * 7) % 400 + (1 - k) * 180) * interval '1 day' AS at,
           10000 + k * (10 + n % 90) * 180 AS km
) AS o
"""
)
LOAD = [
    """
INSERT INTO tenants (id, slug, name, kind, timezone, currency, status, settings,
                     created_at, updated_at)
SELECT md5('rt' || t)::uuid, 'bench-retention-' || t, 'Bench ' || t, 'chain',
       'Asia/Shanghai', 'CNY', 'active', '{}', now(), now()
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS t
""",
    """
INSERT INTO stores (tenant_id, id, code, name, city, region, timezone, hours, holidays, active,
                    managed_by, created_at, updated_at)
SELECT md5('rt' || t)::uuid, md5('rs' || t)::uuid, 'S000', '门店 ' || t, '上海', 'urban',
       'Asia/Shanghai', '{}', '[]', true, 'api', now(), now()
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS t
""",
    """
INSERT INTO tenant_plugins (tenant_id, id, plugin, enabled, settings, created_at, updated_at)
SELECT md5('rt' || t)::uuid, gen_random_uuid(), 'retention', true, '{}', now(), now()
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS t
""",
    """
INSERT INTO customers (tenant_id, id, name, phone, phone_last4, occupation, usage, source,
                       tags, marketing_consent, created_at, updated_at)
SELECT tenant, md5('rc' || n)::uuid, '车主', '+86138' || lpad(n::text, 8, '0'),
       right(lpad(n::text, 8, '0'), 4), 'other', 'private', 'walk_in', '[]', false, now(), now()
"""
    + CARS,
    """
INSERT INTO vehicles (tenant_id, id, customer_id, make, fuel, mileage_km, created_at, updated_at)
SELECT tenant, md5('rv' || n)::uuid, md5('rc' || n)::uuid, 'Toyota', 'petrol',
       10000 + (10 + n % 90) * 180, now(), now()
"""
    + CARS,
    """
INSERT INTO service_orders (tenant_id, id, store_id, customer_id, vehicle_id, status, currency,
                            total, labor_total, parts_total, discount_total, amounts, mileage_km,
                            opened_at, completed_at, created_at, updated_at)
SELECT tenant, order_id, md5('rs' || t)::uuid, md5('rc' || n)::uuid, md5('rv' || n)::uuid,
       'completed', 'CNY', 50000, 50000, 0, 0, '{}', km, at, at, now(), now()
"""
    + VISITS,
    """
INSERT INTO mileage_readings (tenant_id, id, vehicle_id, mileage_km, read_at, source,
                              service_order_id, correction)
SELECT tenant, md5('rr' || n || '-' || k)::uuid, md5('rv' || n)::uuid, km, at,
       'service_order', order_id, false
"""
    + VISITS,
    "ANALYZE",
]


def tenant_ids(first: int, last: int) -> list[uuid.UUID]:
    """The ids :data:`LOAD` gives tenants ``first..last`` (md5 of ``rt<n>``)."""
    import hashlib

    return [uuid.UUID(hashlib.md5(f"rt{t}".encode()).hexdigest()) for t in range(first, last + 1)]


async def load(
    server: PostgresServer, dbname: str, first: int, last: int, vehicles: int, now: dt.datetime
) -> list[uuid.UUID]:
    """Tenants ``first..last`` with ``vehicles`` cars each; returns their ids."""
    engine = create_async_engine(server.dsn(dbname))  # the superuser: bypasses RLS to load
    params = {"first": first, "last": last, "vehicles": vehicles, "now": now}
    try:
        for statement in LOAD:
            async with engine.begin() as connection:
                if statement == "ANALYZE":
                    await connection.execute(text(statement))
                else:
                    await connection.execute(text(statement), params)
    finally:
        await engine.dispose()
    return tenant_ids(first, last)
