"""Event delivery throughput end to end, beside bare Dramatiq on the same machine and Redis.

Platform: ``service_order.completed`` events are committed to the outbox (with their
after-commit nudge) and one ``pitstop worker`` process (4 threads) publishes them, creates
the delivery and runs the sample plugin's handler, which commits an effect together with
the done-mark. Measured from the first commit until every delivery is done.
Bare: the same number of messages to a no-op Dramatiq actor in one ``dramatiq`` process
with 4 threads. The ratio is the platform's overhead per event (two messages, three
transactions). Run with ``make bench``; printed, and failed when past its bound.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import DeliveryStatus, EventDelivery
from pitstop.events.outbox import emit
from pitstop.plugin_host.enablement import configure_plugin
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.bench.bounds import Bound, check
from tests.conftest import _truncate_postgres
from tests.plugins import sample
from tests.support.events import completed_order
from tests.support.factories import make_tenant
from tests.support.processes import ROOT, pitstop_process, sample_site
from tests.support.servers import RedisServer

EVENTS = 2000
# Measured 12-17x (12.3x in the last recorded run); the bound leaves room for a noisy
# machine. Issue 21's goal is at most 2x.
MAX_BARE_OVER_PLATFORM = 25.0
EMIT_SECONDS: list[float] = []


async def _platform_rate(settings: Settings, tmp_path: Path) -> float:
    runtime = Runtime.build(settings, extra_plugins=[sample])  # pooled: one event loop here
    tenant_id, _ = await make_tenant(runtime, "bench")
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            await configure_plugin(
                session,
                runtime.plugins,
                runtime.permissions,
                "sample",
                enabled=True,
                settings=None,
            )
    worker = pitstop_process(
        "worker", settings, tmp_path, site=sample_site(tmp_path), args=("--threads", "4")
    )
    try:
        await asyncio.sleep(4)  # the worker boots and connects
        start = time.perf_counter()
        for _ in range(EVENTS):
            async with runtime.sessions() as session, session.begin():
                with tenant_scope(tenant_id):
                    await emit(session, "service_order.completed", completed_order())
        EMIT_SECONDS.append(time.perf_counter() - start)
        done = 0
        while done < EVENTS:
            await asyncio.sleep(0.2)
            async with runtime.sessions() as session:
                with tenant_scope(tenant_id):
                    statement = select(func.count()).select_from(EventDelivery)
                    done = (
                        await session.scalar(
                            statement.where(EventDelivery.status == DeliveryStatus.done)
                        )
                        or 0
                    )
        return EVENTS / (time.perf_counter() - start)
    finally:
        worker.kill()
        worker.wait(timeout=10)
        await runtime.close()


def _bare_rate(redis_url: str) -> float:
    from dramatiq import Message
    from dramatiq.brokers.redis import RedisBroker

    client = redis.Redis.from_url(redis_url)
    client.delete("bench:done")
    env = {**os.environ, "BENCH_REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "tests.bench.noop_actor", "-p", "1", "-t", "4"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)
        broker = RedisBroker(url=redis_url, namespace="bench")
        start = time.perf_counter()
        for _ in range(EVENTS):
            broker.enqueue(
                Message(queue_name="bench", actor_name="noop", args=(), kwargs={}, options={})
            )
        while int(client.get("bench:done") or 0) < EVENTS:
            time.sleep(0.05)
        return EVENTS / (time.perf_counter() - start)
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
async def test_event_delivery_rate_beside_bare_dramatiq(
    postgres_database: Settings, redis_server: RedisServer, tmp_path: Path
) -> None:
    settings = postgres_database.with_overrides(redis_url=redis_server.url)
    platform, bare = [], []
    for round_ in range(3):
        await _truncate_postgres(postgres_database)
        platform.append(await _platform_rate(settings, tmp_path / f"r{round_}"))
        bare.append(await asyncio.to_thread(_bare_rate, redis_server.url))
    p, b = statistics.median(platform), statistics.median(bare)
    print(f"\n{EVENTS} events, one worker process with 4 threads, PostgreSQL + Redis, 3 rounds")
    print(f"platform: order completed -> handler committed   median {p:8.0f} events/s")
    print(f"bare Dramatiq no-op messages                      median {b:8.0f} messages/s")
    emit = statistics.median(EMIT_SECONDS)
    print(f"(committing the {EVENTS} events alone took a median {emit:.1f} s)")
    check(Bound("overhead ratio bare/platform", b / p, MAX_BARE_OVER_PLATFORM))
