"""Small builders for test data; each returns what a test needs to act and assert."""

from __future__ import annotations

import uuid

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import RegionClass, Store, Tenant, TenantKind


async def make_tenant(
    runtime: Runtime, slug: str, *, stores: int = 1
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A tenant with ``stores`` stores; returns the tenant id and the store ids."""
    async with runtime.sessions() as session, session.begin():
        tenant = Tenant(slug=slug, name=slug.title(), kind=TenantKind.chain)
        session.add(tenant)
        await session.flush()
        store_ids = []
        with tenant_scope(tenant.id):
            for i in range(stores):
                store = Store(
                    code=f"S{i:03d}",
                    name=f"{slug} store {i}",
                    city="上海",
                    region=RegionClass.urban,
                    timezone="Asia/Shanghai",
                    hours={},
                    holidays=[],
                )
                session.add(store)
                await session.flush()
                store_ids.append(store.id)
        return tenant.id, store_ids
