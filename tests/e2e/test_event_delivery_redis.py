"""End to end on real Redis and PostgreSQL with real ``pitstop worker`` processes.

130 service orders complete through the API while a worker is killed with SIGKILL
once 20 are delivered and replaced, and while Redis itself is stopped
and restarted. Every delivery still ends done with exactly one effect: the worker's
transaction couples the handler's write and the done-mark, and the relay's sweep re-sends
what the outage swallowed. ``E2E_ORDERS=120,80,50`` runs a longer round.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from pitstop.access.models import AuditEntry
from pitstop.app import create_app
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.testing.pool import HomeLoopPool
from tests.conftest import _truncate_postgres
from tests.crm.conftest import make_vin
from tests.plugins import sample
from tests.support.demo import Demo, provision_demo
from tests.support.outbox import sweep
from tests.support.processes import pitstop_process, process_logs, sample_site
from tests.support.servers import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]
ORDERS = tuple(
    int(n) for n in os.environ.get("E2E_ORDERS", "60,40,30").split(",")
)  # before the kill, while no worker runs, while Redis is down


class Shop:
    """Completes service orders through the API as the demo chain's service advisor."""

    def __init__(self, demo: Demo) -> None:
        self.demo, self.mileage = demo, 10_000

    async def setup(self) -> None:
        self.headers = await self.demo.headers("hq_admin")
        stores = await self.demo.client.get("/api/v1/stores", headers=self.headers)
        self.store = stores.json()["items"][0]["id"]
        customer = await self._post("/api/v1/customers", {"name": "王五", "phone": "13900001111"})
        vehicle = await self._post(
            "/api/v1/vehicles",
            {"customer_id": customer["id"], "vin": make_vin(7), "plate": "沪A7E001"},
        )
        self.customer, self.vehicle = customer["id"], vehicle["id"]

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.demo.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def complete(self, count: int) -> None:
        for _ in range(count):
            order = await self._post(
                "/api/v1/service-orders",
                {
                    "store_id": self.store,
                    "customer_id": self.customer,
                    "vehicle_id": self.vehicle,
                    "lines": [
                        {
                            "kind": "labor",
                            "category": "maintenance",
                            "description": "保养",
                            "quantity": 1,
                            "unit_price": 30_000,
                        }
                    ],
                },
            )
            self.mileage += 10
            await self._post(
                f"/api/v1/service-orders/{order['id']}/complete", {"mileage_km": self.mileage}
            )


async def _tally(runtime: Runtime, tenant_id: Any) -> dict[str, int]:
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            done = await session.scalar(
                select(func.count())
                .select_from(EventDelivery)
                .where(
                    EventDelivery.status == DeliveryStatus.done, EventDelivery.plugin == "sample"
                )
            )
            effects = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "sample.seen")
            )
            distinct = await session.scalar(
                select(func.count(func.distinct(AuditEntry.resource_id))).where(
                    AuditEntry.action == "sample.seen"
                )
            )
            events = await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.type == "service_order.completed")
            )
    return {
        "events": events or 0,
        "done": done or 0,
        "effects": effects or 0,
        "distinct": distinct or 0,
    }


async def _wait_for(runtime: Runtime, tenant_id: Any, done: int, seconds: float) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    tally = await _tally(runtime, tenant_id)
    while tally["done"] < done and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        tally = await _tally(runtime, tenant_id)
    return tally


async def _sweep_until(
    runtime: Runtime, tenant_id: Any, done: int, seconds: float
) -> dict[str, int]:
    """Sweep as the scheduler does (every 10 s) until every delivery is done: a sweep sent
    while the restarted worker is still reconnecting to Redis is simply sent again."""
    deadline = time.monotonic() + seconds
    while True:
        await sweep(runtime)
        tally = await _wait_for(runtime, tenant_id, done, seconds=10)
        if tally["done"] >= done or time.monotonic() > deadline:
            return tally


async def test_every_delivery_has_exactly_one_effect_through_kill_and_outage(
    postgres_database: Settings, redis_server: RedisServer, tmp_path: Path
) -> None:
    await _truncate_postgres(postgres_database)
    settings = postgres_database.with_overrides(
        redis_url=redis_server.url, broker_heartbeat_ms=3000
    )
    site = sample_site(tmp_path)
    runtime = Runtime.build(settings, extra_plugins=[sample], poolclass=HomeLoopPool)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            # Given the demo chain with the sample plugin subscribed to completed orders
            demo = await provision_demo(runtime, client)
            headers = await demo.headers("hq_admin")
            enabled = await client.put(
                "/api/v1/plugins/sample", json={"enabled": True}, headers=headers
            )
            assert enabled.status_code == 200
            shop = Shop(demo)
            await shop.setup()
            tenant_id = await _tenant(runtime)
            # When orders complete with a worker running, and it is killed mid-batch
            workers.append(
                pitstop_process("worker", settings, tmp_path, site=site, args=("--threads", "4"))
            )
            await shop.complete(ORDERS[0])
            await _wait_for(runtime, tenant_id, 20, seconds=60)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            # And more complete while no worker runs, then another worker starts
            await shop.complete(ORDERS[1])
            workers.append(
                pitstop_process("worker", settings, tmp_path, site=site, args=("--threads", "4"))
            )
            # And Redis is stopped while the last orders complete, then restarted
            redis_server.stop()
            await shop.complete(ORDERS[2])
            redis_server.start()
            # And the scheduler's sweep runs (as it does every 10 s), seen two minutes on
            later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
            runtime.clock.set(lambda: later)
            tally = await _sweep_until(runtime, tenant_id, sum(ORDERS), seconds=180)
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        await runtime.close()
    # Then every completed order's event was delivered, each with exactly one effect
    logs = process_logs(tmp_path, "worker")
    total = sum(ORDERS)
    assert tally == {"events": total, "done": total, "effects": total, "distinct": total}, logs


def _worker(settings: Settings, tmp_path: Path, site: Path) -> subprocess.Popen[bytes]:
    return pitstop_process("worker", settings, tmp_path, site=site, args=("--threads", "4"))


async def _tenant(runtime: Runtime) -> Any:
    from pitstop.tenancy.models import Tenant

    async with runtime.sessions() as session:
        return (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
