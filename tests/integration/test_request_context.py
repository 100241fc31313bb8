"""A request starts from nothing: no tenant, principal, PII policy, audit actor or log binding
of whatever ran before it on the same connection.

uvicorn resumes reading a connection from inside the request when a large body was refused
before it was read, and asyncio then runs every later request on that keep-alive connection
in a copy of the refused request's context (python/cpython#140947). These tests start a
request in such a polluted context — in process, and through a real uvicorn — and check what
the next request saw and what the audit log recorded (docs/security/edge.md).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from litestar import Litestar
from sqlalchemy import make_url, select

from pitstop.access.audit import acting_as
from pitstop.access.masking import pii_visibility
from pitstop.access.models import AuditEntry
from pitstop.access.pii import PIIClass
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.controllers import auth as controllers
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant
from tests.support.context_probe import PROBE_PREFIX, probed
from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo, provision_demo_tenants
from tests.support.processes import UvicornServer

WRONG_SHOP_LOGIN = {"tenant": "demo-shop", "email": "owner@demo-shop.example", "password": "nope"}


async def _tenant_id(runtime: Runtime, slug: str) -> uuid.UUID:
    async with runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant).where(Tenant.slug == slug))).one()
        return tenant.id


async def _failed_logins(runtime: Runtime, tenant_id: uuid.UUID) -> list[tuple[str, Any]]:
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            rows = await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
            )
            return [(row.actor_kind, row.actor_id) for row in rows]


async def test_a_request_inherits_nothing_from_the_context_it_starts_in(
    demo: Demo, app: Litestar, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the context an earlier request left behind: the chain's tenant, an actor, every
    # PII class in full and their log binding (httpx's ASGI transport runs the app in the
    # caller's context, as asyncio does after the uvicorn resume)
    chain, shop = await _tenant_id(runtime, "demo-chain"), await _tenant_id(runtime, "demo-shop")
    intruder = uuid.uuid4()
    seen: list[dict[str, str]] = []
    monkeypatch.setattr(
        controllers, "issue_login_token", probed(controllers.issue_login_token, seen.append)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pitstop.test") as client:
        with (
            tenant_scope(chain),
            acting_as("user", intruder),
            pii_visibility(frozenset(PIIClass)),
            structlog.contextvars.bound_contextvars(tenant_id=str(chain), actor_id=str(intruder)),
        ):
            # When an anonymous caller logs in to the shop with a wrong password
            response = await client.post("/api/v1/auth/token", json=WRONG_SHOP_LOGIN)
    assert response.status_code == 401, response.text
    # Then the login ran with nothing but its own request id
    assert [set(s) for s in seen] == [{"structlog_request_id"}]
    # And the shop's audit row has no actor, and the chain got no row
    assert await _failed_logins(runtime, shop) == [("system", None)]
    assert await _failed_logins(runtime, chain) == []


def _call(
    connection: HTTPConnection, method: str, path: str, body: str, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_refused_large_body_leaks_nothing_into_the_next_request_on_its_connection(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    # Given the demo tenants served by a real uvicorn whose login reports what it sees
    await provision_demo_tenants(runtime)
    server = UvicornServer("tests.support.context_probe:create_probed_app", settings, tmp_path)
    try:
        login = json.dumps({"tenant": "demo-chain", "email": CHAIN_LOGINS["marketing"]})
        status, body = _call(
            HTTPConnection("127.0.0.1", server.port, timeout=30),
            "POST",
            "/api/v1/auth/token",
            login[:-1] + f', "password": "{PASSWORD}"}}',
        )
        assert status == 200, body
        server.wait_for(PROBE_PREFIX)  # the marketing login's own report
        connection = HTTPConnection("127.0.0.1", server.port, timeout=30)
        # When marketing posts 100 KB to a route it may not use (403 before the body is read)
        big = json.dumps({"name": "x", "tags": ["a" * 100_000]})
        status, body = _call(connection, "POST", "/api/v1/customers", big, body["access_token"])
        assert status == 403, body
        socket = connection.sock
        # And an anonymous caller's wrong password follows on the same keep-alive connection
        status, body = _call(connection, "POST", "/api/v1/auth/token", json.dumps(WRONG_SHOP_LOGIN))
        assert status == 401, body
        assert connection.sock is socket, "the connection was not kept alive"
        connection.close()
        # Then the login saw no tenant, actor, PII policy or log binding of the first request
        seen = json.loads(server.wait_for(PROBE_PREFIX).split(PROBE_PREFIX, 1)[1])
        assert set(seen) == {"structlog_request_id"}, seen
    finally:
        server.stop()
    # And the audit log, read from the database file, holds its row in the shop with no actor
    database = make_url(settings.database_url).database
    assert database is not None
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT t.slug, a.actor_kind, a.actor_id FROM audit_log a"
            " JOIN tenants t ON t.id = a.tenant_id WHERE a.action = 'auth.login_failed'"
        ).fetchall()
    assert rows == [("demo-shop", "system", None)]
