"""Messages through the ``console`` channel per second, beside bare Dramatiq on Redis.

Platform: ``ctx.notify`` (transactional: no quiet hours, no cap) commits a contact-log row
and, after commit, a ``pitstop.send_message`` broker message holding its id; one
``pitstop worker`` process (4 threads) loads the row, reads the address, renders the body,
hands it to the console channel and commits ``delivered``. Measured from the first commit
until every message is ``delivered``. Bare: the same number of no-op Dramatiq messages
(``test_bench_events._bare_rate``). Run with ``make bench``; printed, bounded.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging.models import Message
from pitstop.plugin_host.enablement import configure_plugin
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.bench.bounds import Bound, check
from tests.bench.test_bench_events import EVENTS as MESSAGES
from tests.bench.test_bench_events import _bare_rate
from tests.conftest import _truncate_postgres
from tests.plugins import sample
from tests.support.factories import make_tenant
from tests.support.processes import pitstop_process, sample_site
from tests.support.servers import RedisServer

MAX_BARE_OVER_PLATFORM = 90.0
"""Measured once at 60.2x, on two cores shared with four other test runs: a first bound
with room, to be tightened from runs on a quiet machine (issue 21 aims at 2x). Each
message is two transactions (notify, send) and a worker round trip; the row lock and the
template lookup are the first places to look."""


async def _tenant_with_customer(runtime: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    tenant_id, _ = await make_tenant(runtime, "bench")
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            await configure_plugin(
                session, runtime.plugins, runtime.permissions, "sample", enabled=True,
                settings=None,
            )  # fmt: skip
            customer = Customer(name="压测客户", phone="+8613900000000", phone_last4="0000")
            session.add(customer)
            await session.flush()
            return tenant_id, customer.id


async def _platform_rate(settings: Settings, tmp_path: Path) -> float:
    runtime = Runtime.build(settings, extra_plugins=[sample])
    tenant_id, customer_id = await _tenant_with_customer(runtime)
    worker = pitstop_process(
        "worker", settings, tmp_path, site=sample_site(tmp_path), args=("--threads", "4")
    )
    try:
        await asyncio.sleep(4)  # the worker boots and connects, as the events bench does
        start = time.perf_counter()
        for _ in range(MESSAGES):
            async with runtime.sessions() as session, session.begin():
                with tenant_scope(tenant_id):
                    ctx = await runtime.plugins.context(session, "sample")
                    await ctx.notify(
                        customer_id=customer_id,
                        purpose="transactional",
                        template="points_expiring",
                        data={"points": 10, "expires_on": "2026-12-31"},
                    )
        done = 0
        while done < MESSAGES:
            await asyncio.sleep(0.2)
            async with runtime.sessions() as session:
                with tenant_scope(tenant_id):
                    statement = select(func.count()).select_from(Message)
                    delivered = statement.where(Message.status == "delivered")
                    done = await session.scalar(delivered) or 0
        return MESSAGES / (time.perf_counter() - start)
    finally:
        worker.kill()
        worker.wait(timeout=10)
        await runtime.close()


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
async def test_console_message_rate_beside_bare_dramatiq(
    postgres_database: Settings, redis_server: RedisServer, tmp_path: Path
) -> None:
    settings = postgres_database.with_overrides(redis_url=redis_server.url)
    platform, bare = [], []
    for round_ in range(3):
        await _truncate_postgres(postgres_database)
        platform.append(await _platform_rate(settings, tmp_path / f"r{round_}"))
        bare.append(await asyncio.to_thread(_bare_rate, redis_server.url))
    p, b = statistics.median(platform), statistics.median(bare)
    print(f"\n{MESSAGES} messages, one worker process with 4 threads, PostgreSQL + Redis")
    print(f"platform: ctx.notify -> console delivered    median {p:8.0f} messages/s")
    print(f"bare Dramatiq no-op messages                 median {b:8.0f} messages/s")
    print(f"ratio bare/platform {b / p:.1f}x")
    check(Bound("messages overhead ratio bare/platform", b / p, MAX_BARE_OVER_PLATFORM))
