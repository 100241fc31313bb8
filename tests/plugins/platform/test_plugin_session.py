"""The session a plugin gets is the host's transaction: usable, never the plugin's to end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool
from structlog.testing import capture_logs

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant
from tests.plugins import transactional
from tests.support.demo import Demo


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings, extra_plugins=[transactional], poolclass=NullPool)
    try:
        yield rt
    finally:
        await rt.close()


async def _probe(demo: Demo, route: str) -> int:
    headers = await demo.headers()
    enabled = await demo.client.put(
        "/api/v1/plugins/txprobe", json={"enabled": True}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    response = await demo.client.post(f"/api/v1/txprobe/{route}", headers=headers)
    return response.status_code


async def _actions(demo: Demo) -> list[str]:
    """The probe's audit rows in the demo chain, as committed."""
    async with demo.runtime.sessions() as session:
        chain = select(Tenant.id).where(Tenant.slug == "demo-chain")
        with tenant_scope((await session.scalars(chain)).one()):
            rows = await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.startswith("txprobe."))
                .order_by(AuditEntry.id)
            )
            return list(rows.all())


async def test_a_plugin_cannot_commit_the_requests_transaction(demo: Demo) -> None:
    # Given a plugin route that writes, then calls ctx.session.commit(), then writes more
    # When it is called
    with capture_logs() as logs:
        status = await _probe(demo, "commit")
    # Then the commit is refused (a server error: the plugin is wrong, not the request),
    # and the log says why
    assert status == 500
    assert [e["error_type"] for e in logs if "error_type" in e] == ["TransactionNotYours"]
    # And nothing the request wrote was committed: its writes rolled back as one
    assert await _actions(demo) == []


async def test_a_savepoint_undoes_only_its_own_block(demo: Demo) -> None:
    # Given a plugin route that writes, undoes a block in a savepoint, and releases another
    # When it is called
    status = await _probe(demo, "savepoints")
    # Then the request succeeds and only the savepoint that raised was undone
    assert status == 200
    assert await _actions(demo) == ["txprobe.kept", "txprobe.released"]
