"""What the ORM wall costs: a guarded ORM lookup beside the same lookup in plain SQL.

Run with `make bench`; prints medians of several rounds and their ratio, measured side by
side in one run (the machines are shared and noisy: compare ratios, not absolutes), and
fails when the ratio is past its bound (tests/bench/bounds.py).
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import select, text

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Store
from tests.bench.bounds import Bound, check
from tests.support.factories import make_tenant

ROUNDS, LOOKUPS = 7, 300
# Measured 1.47x on a quiet machine and 2.1-2.3x with the 2 cores heavily shared; the
# bound leaves room for that noise. Issue 21's goals are tighter.
MAX_GUARDED_OVER_PLAIN = 3.0


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def test_tenant_guard_overhead(runtime: Runtime) -> None:
    tenant, stores = await make_tenant(runtime, "bench", stores=20)
    guarded, plain = [], []
    async with runtime.sessions() as session:
        with tenant_scope(tenant):
            for _ in range(ROUNDS):
                start = time.perf_counter()
                for i in range(LOOKUPS):
                    await session.scalar(select(Store.name).where(Store.id == stores[i % 20]))
                guarded.append((time.perf_counter() - start) / LOOKUPS)
                start = time.perf_counter()
                for i in range(LOOKUPS):
                    await session.scalar(
                        text("SELECT name FROM stores WHERE tenant_id = :t AND id = :i"),
                        {"t": tenant.hex, "i": stores[i % 20].hex},
                    )
                plain.append((time.perf_counter() - start) / LOOKUPS)
    g, p = statistics.median(guarded), statistics.median(plain)
    print(f"\nguarded ORM lookup  median {g * 1e6:8.1f} µs")
    print(f"plain SQL lookup    median {p * 1e6:8.1f} µs")
    check(Bound("ratio guarded/plain", g / p, MAX_GUARDED_OVER_PLAIN))
