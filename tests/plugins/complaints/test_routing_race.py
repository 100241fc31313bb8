"""Two first complaints for one (store, role) at the same instant share one routing cursor."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Store, Tenant
from pitstop_complaints.models import RoutingCursor
from pitstop_complaints.routing import round_robin
from tests.conftest import ON_POSTGRES
from tests.support.demo import Demo

pytestmark = ON_POSTGRES  # real concurrency: SQLite serialises writers anyway


async def test_concurrent_first_picks_neither_collide_nor_fail(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the demo chain (complaints on, from its manifest) and no routing cursor yet
    async with runtime.sessions() as session:
        chain = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
        with tenant_scope(chain):
            store = (await session.scalars(select(Store.id).where(Store.code == "SH001"))).one()

    ready = asyncio.Barrier(8)

    async def pick() -> uuid.UUID | None:
        with tenant_scope(chain):
            async with runtime.sessions() as session, session.begin():
                ctx = await runtime.plugins.context(session, "complaints")
                await ready.wait()  # every transaction is open before anyone routes
                return await round_robin(ctx, store, "service_advisor")

    # When eight complaints are routed at the same moment
    picks = await asyncio.gather(*(pick() for _ in range(8)))
    # Then every pick succeeded and there is exactly one cursor for (store, role)
    assert all(p is not None for p in picks)
    async with runtime.sessions() as session:
        with tenant_scope(chain):
            count = await session.scalar(select(func.count()).select_from(RoutingCursor))
    assert count == 1
