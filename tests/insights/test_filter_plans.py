"""The customer list's common filters are answered from indexes on the tenant's rows.

The statements are captured from real API calls (the ORM wall's tenant criteria, the keyset
order and the filters' ``EXISTS`` included) and EXPLAINed as the app role under row-level
security, on a book of 10,000 customers with fresh statistics: big enough that PostgreSQL
prefers an index whenever one serves, with no planner setting changed (``enable_seqscan``
stays on: a plan that still scanned a table would be the plan production gets).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from pitstop.settings import Settings
from tests.conftest import ON_POSTGRES
from tests.crm.conftest import Crm
from tests.crm.pgbulk import load, load_customers_sql
from tests.crm.test_lookup_plans import _plan as plan
from tests.support.servers import PostgresServer

pytestmark = ON_POSTGRES  # plans are a PostgreSQL matter
BOOK = 10_000
TABLES = ("customers", "customer_rfm", "vehicles", "service_orders", "membership_accounts")


def _variety_sql(crm: Crm) -> str:
    """Spread the bulk book over the classifications, scores, makes and visits: a service
    order per car too, so the orders table is the book's size when autovacuum (or this
    ANALYZE) has counted it, not a few rows PostgreSQL rightly reads whole."""
    tenant, sh001, sh002 = crm.tenant_id, crm.stores["SH001"], crm.stores["SH002"]
    return f"""
    UPDATE customers SET
        usage = (ARRAY['private', 'private', 'official', 'commercial'])[n % 4 + 1],
        marketing_consent = n % 2 = 0,
        birthday = DATE '1960-01-01' + (n * 37 % 18000),
        home_store_id = CASE WHEN n % 3 = 0 THEN '{sh002}'::uuid ELSE '{sh001}'::uuid END
    FROM (SELECT id AS cid, substr(phone, 7)::int AS n FROM customers
          WHERE tenant_id = '{tenant}' AND phone LIKE '+86139%') AS c
    WHERE tenant_id = '{tenant}' AND id = c.cid;
    UPDATE vehicles SET make = (ARRAY['Toyota', 'Honda', 'BYD', 'Volkswagen', 'Buick'])
        [substr(plate, 3)::int % 5 + 1]
    WHERE tenant_id = '{tenant}' AND vin LIKE 'LBULK%';
    INSERT INTO customer_rfm (tenant_id, id, customer_id, recency_days, frequency, monetary,
                              r, f, m, segment, last_store_id, computed_at)
    SELECT tenant_id, gen_random_uuid(), id, 30, 2, 50000, 3, 3, 3,
           (ARRAY['high_value', 'potential', 'churn_warning', 'sleeping', 'new'])
               [abs(hashtext(id::text)) % 5 + 1],
           '{sh001}', now()
    FROM customers WHERE tenant_id = '{tenant}' AND phone LIKE '+86139%';
    INSERT INTO membership_accounts (tenant_id, id, customer_id, balance, pending, tier,
                                     tier_since, enrolled_at, next_review_on, created_at,
                                     updated_at)
    SELECT tenant_id, gen_random_uuid(), id, 0, 0,
           CASE WHEN abs(hashtext(id::text)) % 500 = 0 THEN 'black'
                ELSE (ARRAY['regular', 'regular', 'regular', 'silver', 'gold'])
                     [abs(hashtext(id::text)) % 5 + 1] END,
           now(), now(), CURRENT_DATE + 30, now(), now()
    FROM customers WHERE tenant_id = '{tenant}' AND phone LIKE '+86139%';
    INSERT INTO service_orders (tenant_id, id, store_id, customer_id, vehicle_id, status,
                                currency, total, labor_total, parts_total, discount_total,
                                amounts, opened_at, completed_at, created_at, updated_at)
    SELECT tenant_id, gen_random_uuid(), '{sh001}', customer_id, id, 'completed', 'CNY',
           50000, 50000, 0, 0, '{{}}', now() - interval '30 days', now() - interval '30 days',
           now(), now()
    FROM vehicles WHERE tenant_id = '{tenant}' AND vin LIKE 'LBULK%';
    ANALYZE customer_rfm; ANALYZE customers; ANALYZE vehicles; ANALYZE membership_accounts;
    ANALYZE service_orders;
    """


async def _captured(crm: Crm, params: dict[str, str]) -> tuple[str, Any]:
    """The list statement the app sent for the filters (the page query, with its LIMIT)."""
    seen: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    engine = crm.demo.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = await crm.demo.client.get(
            "/api/v1/customers", params={**params, "limit": "50"}, headers=await crm.headers()
        )
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and response.json()["items"], response.text
    return next((s, p) for s, p in seen if "FROM customers" in s and "LIMIT" in s)


FILTERS = [
    {"segment": "high_value"},
    {"segment": "high_value", "usage": "private", "marketing_consent": "true"},
    {"usage": "official", "age_band": "80后"},
    {"make": "byd"},
    {"store_id": "SH002"},
    {"min_spend": "10000", "visits_min": "2"},
    {"tier": "gold"},
    {"tier": "black", "usage": "private"},  # rare: without its index, every account is read
]


async def test_common_filters_scan_no_table(
    crm: Crm, postgres_server: PostgresServer, postgres_database: Settings
) -> None:
    # Given 10,000 customers spread over usages, ages, makes, stores and RFM segments
    dbname = make_url(postgres_database.database_url).database
    assert dbname is not None
    load(postgres_server, dbname, load_customers_sql(crm.tenant_id, BOOK))
    postgres_server.execute(_variety_sql(crm), dbname=dbname)
    for filters in FILTERS:
        params = {k: crm.stores.get(v, v) if k == "store_id" else v for k, v in filters.items()}
        # When HQ lists customers with the filters
        statement, parameters = await _captured(crm, params)
        # Then PostgreSQL answers from indexes: no sequential scan of any of the tables
        found = await plan(crm.demo.runtime, str(crm.tenant_id), statement, parameters)
        for table in TABLES:
            assert f"Seq Scan on {table}" not in found, (filters, found)
