"""What the nightly trade-in scoring costs for a chain's whole fleet: 5,000 vehicles with
three completed orders each, scored in one schedule run (one transaction, every vehicle
read in batches, every order of the shop's history streamed once).

Run with ``make bench``; prints the run's seconds and vehicles per second, and fails past
its bound. The schedule runs at night, so the bound is about staying well inside a
tenant's nightly window on the shared 2-core machine, not about latency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid

import pitstop_tradein
from pitstop.crm.models import Customer, OrderStatus, ServiceOrder, Vehicle
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import TenantPlugin
from pitstop_tradein.candidates import score_candidates
from tests.bench.bounds import Bound, check
from tests.support.factories import make_tenant

VEHICLES, ORDERS_EACH = 5_000, 3
MAX_SECONDS = 15.0
"""Measured 4 s on SQLite and PostgreSQL (2-core shared machine); room for its noise."""
NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


async def _fleet(runtime: Runtime, tenant: uuid.UUID, store: uuid.UUID) -> None:
    """Cars of model years 2014-2025, driven 8,000-30,000 km a year, serviced yearly."""
    with tenant_scope(tenant):
        async with runtime.sessions() as session, session.begin():
            session.add(TenantPlugin(plugin="tradein", enabled=True, settings={}))
            for n in range(VEHICLES):
                customer = Customer(name="车主", phone=f"+86138{n:08d}")
                session.add(customer)
                await session.flush()
                year, per_year = 2014 + n % 12, 8_000 + (n * 37) % 22_000
                vehicle = Vehicle(customer_id=customer.id, make="Toyota", model="Camry", year=year)
                session.add(vehicle)
                await session.flush()
                for k in range(ORDERS_EACH):
                    done = NOW - dt.timedelta(days=365 * (ORDERS_EACH - k) - n % 300)
                    session.add(
                        ServiceOrder(
                            store_id=store,
                            customer_id=customer.id,
                            vehicle_id=vehicle.id,
                            status=OrderStatus.completed,
                            total=60_000 + (n % 50) * 10_000,
                            completed_at=done,
                            opened_at=done,
                            mileage_km=per_year * max(1, done.year - year),
                        )
                    )
                if n % 500 == 499:
                    await session.flush()


async def test_nightly_scoring_of_a_whole_fleet(settings: Settings) -> None:
    blocked = dataclasses.replace(settings, plugins_blocked=("tradein",))
    runtime = Runtime.build(blocked, extra_plugins=[pitstop_tradein])
    runtime.clock.set(lambda: NOW)
    try:
        tenant, stores = await make_tenant(runtime, "bench-tradein", stores=1)
        await _fleet(runtime, tenant, stores[0])
        with tenant_scope(tenant):
            async with runtime.sessions() as session, session.begin():
                ctx = await runtime.plugins.context(session, "tradein")
                start = time.perf_counter()
                found = await score_candidates(ctx)
                seconds = time.perf_counter() - start
    finally:
        await runtime.close()
    print(f"\n{VEHICLES} vehicles, {VEHICLES * ORDERS_EACH} orders: {found} candidates")
    print(f"  {seconds:.2f} s, {VEHICLES / seconds:.0f} vehicles/s")
    check(Bound("nightly scoring of 5,000 vehicles", seconds, MAX_SECONDS, " s"))
