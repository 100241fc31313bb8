"""A real ``pitstop worker`` killed with SIGKILL while a provider holds its request: the
restarted worker does not send the message again.

The provider is the tenant's ``webhook`` gateway, which has no idempotency key: a local
server that takes the request and does not answer until the worker is dead. The claim the
dead worker committed before calling it is what the next worker finds; it marks the
message ``unconfirmed`` instead of sending it a second time.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging.models import Message, MessageSend
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant
from pitstop.testing.runtime import plugin_context
from tests.conftest import _truncate_postgres
from tests.support.demo import provision_demo
from tests.support.processes import ready_process
from tests.support.servers import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]
GUARD_S = 120
"""A hung process's limit, not a guess at how long anything takes."""


class HoldingProvider:
    """Takes each POST, and answers only once released: the send is in flight until then."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.arrived, self.release = threading.Event(), threading.Event()


@contextmanager
def holding_provider() -> Iterator[tuple[HoldingProvider, str]]:
    state = HoldingProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            state.arrived.set()
            state.release.wait(GUARD_S)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def _worker(settings: Settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    return ready_process("worker", settings, tmp_path, args=("--threads", "1"))


async def _state(runtime: Runtime, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Any:
    """The message's status and attempts, and its claims as (attempt, outcome)."""
    with tenant_scope(tenant_id):
        async with runtime.sessions() as session:
            message = await session.get(Message, (tenant_id, message_id))
            claims = await session.scalars(
                select(MessageSend).where(MessageSend.message_id == message_id)
            )
            assert message is not None
            return message.status, message.attempts, [(c.attempt, c.outcome) for c in claims]


async def _settled(runtime: Runtime, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Any:
    """Poll until the message leaves ``queued`` (the restarted worker requeues the dead
    one's message once its heartbeat is older than the broker's timeout)."""
    deadline = time.monotonic() + GUARD_S
    while (state := await _state(runtime, tenant_id, message_id))[0] == "queued":
        assert time.monotonic() < deadline, f"still queued after {GUARD_S}s: {state}"
        await asyncio.sleep(0.2)
    return state


async def test_a_worker_killed_mid_send_does_not_send_twice(
    postgres_database: Settings, redis_server: RedisServer, tmp_path: Path
) -> None:
    redis.Redis.from_url(redis_server.url).flushdb()
    await _truncate_postgres(postgres_database)
    settings = postgres_database.with_overrides(
        redis_url=redis_server.url, broker_heartbeat_ms=1000
    )
    runtime = Runtime.build(settings, poolclass=NullPool)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with holding_provider() as (provider, url):
            async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
                # Given the demo chain sending customer messages through its webhook gateway
                demo = await provision_demo(runtime, client)
                headers = await demo.headers("hq_admin")
                hook = {"url": url, "secret": "s" * 32, "attempts": 1, "timeout_s": 30}
                enabled = await client.put(
                    "/api/v1/plugins/webhook",
                    json={"enabled": True, "settings": hook},
                    headers=headers,
                )
                assert enabled.status_code == 200, enabled.text
                customer = await client.post(
                    "/api/v1/customers",
                    json={"name": "吴先生", "phone": "13911117777"},
                    headers=headers,
                )
                assert customer.status_code == 201, customer.text
                tenant_id = await _tenant(runtime)
            # And a worker running
            workers.append(_worker(settings, tmp_path))
            # When a message is queued and the worker's request reaches the provider
            async with plugin_context(runtime, tenant_id, "webhook") as ctx:
                message_id = await ctx.notify(
                    customer_id=uuid.UUID(customer.json()["id"]),
                    purpose="transactional",
                    template="service_due",
                    data={"store_name": "一号店", "due_date": "2026-03-20"},
                )
            assert await asyncio.to_thread(provider.arrived.wait, GUARD_S), "no request came"
            # And the worker is killed before the provider answers
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=30)
            provider.release.set()
            # Then the try was claimed and committed before the provider was called
            assert await _state(runtime, tenant_id, message_id) == ("queued", 1, [(1, None)])
            # When another worker starts and the broker redelivers the dead one's message
            workers.append(_worker(settings, tmp_path))
            state = await _settled(runtime, tenant_id, message_id)
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        await runtime.close()
    # Then it is marked for reconciliation, not sent again: the provider saw one send
    assert state == ("unconfirmed", 1, [(1, None)])
    assert len(provider.received) == 1


async def _tenant(runtime: Runtime) -> uuid.UUID:
    async with runtime.sessions() as session:
        return (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
