"""The ORM wall: no tenant → an error; tenant A never sees or changes tenant B's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from pitstop.db.guard import CrossTenantWrite
from pitstop.db.tenant_context import TenantContextMissing, system_scope, tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Store
from tests.support.factories import make_tenant


async def test_query_without_tenant_raises(runtime: Runtime) -> None:
    # Given a tenant with a store
    await make_tenant(runtime, "alpha")
    # When a tenant table is queried with no tenant in context
    # Then it raises instead of returning every tenant's rows
    async with runtime.sessions() as session:
        with pytest.raises(TenantContextMissing):
            await session.scalars(select(Store))


async def test_tenant_sees_only_its_own_rows(runtime: Runtime) -> None:
    # Given two tenants with two and three stores
    alpha, alpha_stores = await make_tenant(runtime, "alpha", stores=2)
    _beta, _ = await make_tenant(runtime, "beta", stores=3)
    # When alpha counts stores, also through an aggregate and a join-free subquery
    async with runtime.sessions() as session:
        with tenant_scope(alpha):
            ids = set((await session.scalars(select(Store.id))).all())
            count = await session.scalar(select(func.count()).select_from(Store))
    # Then only alpha's stores are visible
    assert ids == set(alpha_stores)
    assert count == 2


async def test_bulk_update_and_delete_cannot_touch_other_tenant(runtime: Runtime) -> None:
    # Given two tenants
    alpha, _ = await make_tenant(runtime, "alpha")
    beta, beta_stores = await make_tenant(runtime, "beta")
    # When alpha issues an unfiltered UPDATE and DELETE through the ORM
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(alpha):
            await session.execute(update(Store).values(name="hijacked"))
            await session.execute(delete(Store).where(Store.id.in_(beta_stores)))
    # Then beta's store is intact
    async with runtime.sessions() as session:
        with tenant_scope(beta):
            store = (await session.scalars(select(Store))).one()
    assert store.name != "hijacked"
    assert store.id == beta_stores[0]


async def test_get_by_primary_key_of_other_tenant_returns_nothing(runtime: Runtime) -> None:
    # Given beta's store id
    alpha, _ = await make_tenant(runtime, "alpha")
    _, beta_stores = await make_tenant(runtime, "beta")
    # When alpha selects it by id
    async with runtime.sessions() as session:
        with tenant_scope(alpha):
            found = (
                await session.scalars(select(Store).where(Store.id == beta_stores[0]))
            ).one_or_none()
    # Then nothing is found
    assert found is None


async def test_flush_refuses_rows_of_another_tenant(runtime: Runtime) -> None:
    # Given beta's store loaded under beta
    alpha, _ = await make_tenant(runtime, "alpha")
    beta, _ = await make_tenant(runtime, "beta")
    async with runtime.sessions() as session:
        with tenant_scope(beta):
            store = (await session.scalars(select(Store))).one()
        # When it is changed and flushed under alpha
        store.name = "moved"
        with tenant_scope(alpha), pytest.raises(CrossTenantWrite):
            await session.flush()


async def test_insert_is_stamped_and_foreign_tenant_insert_refused(runtime: Runtime) -> None:
    # Given two tenants
    alpha, _ = await make_tenant(runtime, "alpha", stores=0)
    beta, _ = await make_tenant(runtime, "beta", stores=0)
    async with runtime.sessions() as session:
        with tenant_scope(alpha):
            # When a store is added without a tenant_id
            store = Store(code="X", name="x", city="c", region="urban", timezone="UTC")
            session.add(store)
            await session.flush()
            # Then it is stamped with the tenant in context
            assert store.tenant_id == alpha
            # And an explicit foreign tenant_id is refused
            session.add(
                Store(tenant_id=beta, code="Y", name="y", city="c", region="urban", timezone="UTC")
            )
            with pytest.raises(CrossTenantWrite):
                await session.flush()
            await session.rollback()


async def test_system_scope_reads_across_tenants_but_cannot_write(runtime: Runtime) -> None:
    # Given two tenants
    await make_tenant(runtime, "alpha")
    await make_tenant(runtime, "beta")
    async with runtime.sessions() as session:
        with system_scope("test discovery"):
            # When the named system scope discovers stores
            count_stores = session.scalar(select(func.count()).select_from(Store))
            if runtime.settings.is_postgres:
                # Then on PostgreSQL it is refused: discovery there is a SECURITY DEFINER
                # function (pitstop.db.discovery); RLS would show no row anyway
                with pytest.raises(TenantContextMissing):
                    await count_stores
            else:
                # Then embedded SQLite reads both tenants' ids
                assert await count_stores == 2
            # And an update is refused on both
            with pytest.raises(TenantContextMissing):
                await session.execute(update(Store).values(name="x"))


async def test_tenant_scope_restores_previous_tenant(runtime: Runtime) -> None:
    # Given nested scopes
    alpha, _ = await make_tenant(runtime, "alpha")
    beta, _ = await make_tenant(runtime, "beta")
    from pitstop.db.tenant_context import maybe_tenant_id

    with tenant_scope(alpha):
        with tenant_scope(beta):
            assert maybe_tenant_id() == beta
        # Then leaving the inner scope restores the outer tenant
        assert maybe_tenant_id() == alpha
    assert maybe_tenant_id() is None
