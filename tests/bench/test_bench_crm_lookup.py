"""Customer lookup by phone and by plate: 1k customers beside 1M, in one PostgreSQL run.

Run with `make bench`. Tenants and customers are bulk-loaded with generate_series (as the
superuser, so loading is fast); lookups then go through the app's own path: the ORM wall,
row-level security as the app role, the search statement and keyset page the API uses.
The 1k database is copied (``CREATE DATABASE ... TEMPLATE``) and the copy grown a
thousandfold, so the same tenants are measured at both sizes and only the table's size
differs. Each size has its own pooled runtime (a lookup never pays for a new connection),
and rounds of the two sizes interleave 1k 1M 1M 1k 1k 1M. Prints p50/p99 per lookup and
the 1M/1k ratio (compare ratios: the machines are shared and noisy), and fails when a
ratio is past its bound.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import statistics
import time
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from pitstop.crm.customer_search import search_statement
from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.pagination import keyset
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.bench.bounds import Bound, check
from tests.conftest import ON_POSTGRES
from tests.support.servers import PostgresServer

PER_TENANT = 100
SMALL_TENANTS, LARGE_TENANTS = 10, 10_000
LOOKUPS = 200
ORDER = ("1k", "1M", "1M", "1k", "1k", "1M")
"""Rounds interleave ABBA, so the machine's other load falls on both sizes alike."""
LARGE_DB = "pitstop_bench_1m"
# Measured about 0.8x (p50) and 0.5x (p99): the cost does not grow with the table. The
# bounds leave room for noise (p99 is the noisier); issue 21's goals are tighter.
MAX_P50_RATIO, MAX_P99_RATIO = 2.0, 3.0

TENANTS_SQL = """
INSERT INTO tenants (id, slug, name, kind, timezone, currency, status, settings,
                     created_at, updated_at)
SELECT gen_random_uuid(), 'bench-' || lpad(t::text, 5, '0'), 'Bench ' || t, 'shop',
       'Asia/Shanghai', 'CNY', 'active', '{}', now(), now()
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS t
"""
CUSTOMERS_SQL = """
INSERT INTO customers (tenant_id, id, name, phone, phone_last4, occupation, usage, source,
                       tags, marketing_consent, created_at, updated_at)
SELECT t.id, gen_random_uuid(), '客户' || g, '+86139' || lpad(g::text, 8, '0'),
       lpad(g::text, 4, '0'), 'other', 'private', 'walk_in', '[]', false, now(), now()
FROM tenants AS t CROSS JOIN generate_series(1, CAST(:per AS int)) AS g
WHERE t.slug BETWEEN :first AND :last
"""
VEHICLES_SQL = """
INSERT INTO vehicles (tenant_id, id, customer_id, vin, plate, fuel, created_at, updated_at)
SELECT c.tenant_id, gen_random_uuid(), c.id, 'LBENCH' || lpad(substr(c.phone, 7), 11, '0'),
       '沪A' || substr(c.phone, 10), 'petrol', now(), now()
FROM customers AS c JOIN tenants AS t ON t.id = c.tenant_id
WHERE t.slug BETWEEN :first AND :last
"""


pytestmark = ON_POSTGRES


def _slug(n: int) -> str:
    return f"bench-{n:05d}"


async def _grow(server: PostgresServer, dbname: str, first: int, last: int) -> float:
    """Add tenants ``first..last`` with PER_TENANT customers and vehicles each; seconds."""
    started = time.perf_counter()
    engine = create_async_engine(server.dsn(dbname))  # the superuser: bypasses RLS to load
    try:
        async with engine.begin() as connection:
            await connection.execute(text(TENANTS_SQL), {"first": first, "last": last})
            span = {"first": _slug(first), "last": _slug(last), "per": PER_TENANT}
            await connection.execute(text(CUSTOMERS_SQL), span)
            await connection.execute(text(VEHICLES_SQL), span)
            await connection.execute(text("ANALYZE tenants, customers, vehicles"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def _tenant_ids(runtime: Runtime) -> list[uuid.UUID]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id FROM tenants WHERE slug BETWEEN :a AND :b ORDER BY slug"),
            {"a": _slug(1), "b": _slug(SMALL_TENANTS)},
        )
        return [r[0] for r in rows]


async def _round(runtime: Runtime, tenants: list[uuid.UUID], kind: str, seed: int) -> list[float]:
    """Latency of LOOKUPS lookups through the API's search path, random tenant and key, one
    session per lookup as a request has, on the runtime's pooled connections."""
    rng = random.Random(seed)
    timings = []
    for _ in range(LOOKUPS):
        n = rng.randint(1, PER_TENANT)
        q = f"+86139{n:08d}" if kind == "phone" else f"沪A{n:05d}"
        with tenant_scope(rng.choice(tenants)):
            statement = search_statement(
                q=q,
                tag=None,
                store_id=None,
                lifecycle=None,
                today=dt.date.today(),
                dialect="postgresql",
            )
            started = time.perf_counter()
            async with runtime.sessions() as session, session.begin():
                rows = (await session.scalars(keyset(statement, Customer.id, None, 50))).all()
            timings.append(time.perf_counter() - started)
        assert len(rows) == 1
    return timings


def _copy_database(server: PostgresServer, source: str, copy: str) -> None:
    """``copy`` as ``source`` is now: its tenants, customers, grants and statistics."""
    server.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        f" WHERE datname = '{source}' AND pid <> pg_backend_pid()"
    )  # a template must have no other session; the bench's own runtimes are not yet built
    server.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}" OWNER pitstop_owner')


def _p(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100)[pct - 1] * 1000


async def test_lookup_cost_does_not_grow_with_the_table(
    settings: Settings, postgres_server: PostgresServer
) -> None:
    dbname = make_url(settings.database_url).database or ""
    load_small = await _grow(postgres_server, dbname, 1, SMALL_TENANTS)
    _copy_database(postgres_server, dbname, LARGE_DB)
    load_large = await _grow(postgres_server, LARGE_DB, SMALL_TENANTS + 1, LARGE_TENANTS)
    large_url = postgres_server.dsn(LARGE_DB, user="pitstop_app")
    runtimes = {
        "1k": Runtime.build(settings),  # pooled: connection set-up is not what is measured
        "1M": Runtime.build(dataclasses.replace(settings, database_url=large_url)),
    }
    try:
        tenants = await _tenant_ids(runtimes["1k"])  # the same ten tenants in both
        assert tenants == await _tenant_ids(runtimes["1M"])
        timings: dict[tuple[str, str], list[list[float]]] = {}
        for kind in ("phone", "plate"):
            for size in runtimes:  # warm each pool and plan cache first, untimed
                await _round(runtimes[size], tenants, kind, seed=0)
            for n, size in enumerate(ORDER):
                found = await _round(runtimes[size], tenants, kind, seed=n + 1)
                timings.setdefault((kind, size), []).append(found)
    finally:
        for runtime in runtimes.values():
            await runtime.close()
        postgres_server.execute(f'DROP DATABASE IF EXISTS "{LARGE_DB}"')
    print(
        f"\nloaded {SMALL_TENANTS * PER_TENANT:,} customers in {load_small:.1f}s; copied and"
        f" grew to {LARGE_TENANTS * PER_TENANT:,} customers ({LARGE_TENANTS:,} tenants) in"
        f" {load_large:.1f}s. Rounds of {LOOKUPS} lookups, {' '.join(ORDER)} per kind;"
        " p50: median of the rounds' p50, p99: over all of a side's lookups"
    )
    print(
        f"{'lookup':<8}{'1k p50':>10}{'1k p99':>10}{'1M p50':>10}{'1M p99':>10}"
        f"{'p50 ratio':>11}{'p99 ratio':>11}   (ms)"
    )
    bounds = []
    for kind in ("phone", "plate"):
        small, large = timings[kind, "1k"], timings[kind, "1M"]
        s50, l50 = (statistics.median(_p(r, 50) for r in rounds) for rounds in (small, large))
        s99, l99 = (_p([t for r in rounds for t in r], 99) for rounds in (small, large))
        print(
            f"{kind:<8}{s50:>10.3f}{s99:>10.3f}{l50:>10.3f}{l99:>10.3f}"
            f"{l50 / s50:>10.2f}x{l99 / s99:>10.2f}x"
        )
        bounds += [
            Bound(f"{kind} 1M/1k p50 ratio", l50 / s50, MAX_P50_RATIO),
            Bound(f"{kind} 1M/1k p99 ratio", l99 / s99, MAX_P99_RATIO),
        ]
    check(*bounds)
