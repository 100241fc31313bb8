"""Bulk CRM rows straight into PostgreSQL with generate_series (for plans and benchmarks).

Runs as the server's superuser through psql, which bypasses row-level security: the point
is to fill tables fast, not to exercise the walls (the API tests do that).
"""

from __future__ import annotations

import uuid

from tests.support.servers import PostgresServer


def bulk_phone(n: int) -> str:
    """The phone the bulk loader gives customer number ``n`` of a tenant."""
    return f"+86139{n:08d}"


def bulk_plate(n: int) -> str:
    """The plate the bulk loader gives vehicle number ``n`` (unique below 2,400,000)."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"沪{letters[n // 100_000]}{n % 100_000:05d}"


def load_customers_sql(tenant_id: uuid.UUID, count: int, start: int = 1) -> str:
    """``count`` customers, each with one vehicle, for one existing tenant.

    The customers are analysed before their vehicles go in: each vehicle's foreign-key
    check is planned from the statistics, and statistics that still counted the tenant's
    customers as one row made every check scan the table (CI35's log: 3.6 s of the
    10,000-vehicle load in that trigger, 63 ms in the tenant's; a minute at 30,000)."""
    return f"""
    INSERT INTO customers (tenant_id, id, name, phone, phone_last4, occupation, usage, source,
                           tags, marketing_consent, created_at, updated_at)
    SELECT '{tenant_id}', gen_random_uuid(), '客户' || g, '+86139' || lpad(g::text, 8, '0'),
           right(lpad(g::text, 8, '0'), 4), 'other', 'private', 'walk_in', '[]', false,
           now(), now()
    FROM generate_series({start}, {start + count - 1}) AS g;
    ANALYZE customers;
    INSERT INTO vehicles (tenant_id, id, customer_id, vin, plate, fuel, created_at, updated_at)
    SELECT c.tenant_id, gen_random_uuid(), c.id, 'LBULK' || lpad(n::text, 12, '0'),
           '沪' || substr('ABCDEFGHJKLMNPQRSTUVWXYZ', n / 100000 + 1, 1)
               || lpad((n % 100000)::text, 5, '0'),
           'petrol', now(), now()
    FROM (SELECT id, tenant_id, substr(phone, 7)::int AS n FROM customers
          WHERE tenant_id = '{tenant_id}' AND phone_last4 IS NOT NULL
            AND substr(phone, 7)::int BETWEEN {start} AND {start + count - 1}) AS c;
    """


# The loader's own statements are explained with their row counts and trigger times if
# they are slow again (the server logs any statement over 3 s with its plan:
# tests/support/servers.py).
_EXPLAINED = "SET auto_explain.log_analyze = on; SET auto_explain.log_triggers = on; "


def load(server: PostgresServer, dbname: str, sql: str) -> None:
    """Each statement on its own, so the server's log of a slow one names which, with
    where its time went."""
    for statement in filter(str.strip, sql.split(";")):
        server.execute(_EXPLAINED + statement + ";", dbname=dbname)
    server.execute("ANALYZE customers; ANALYZE vehicles;", dbname=dbname)
