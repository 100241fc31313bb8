"""The database wall on PostgreSQL: RLS alone keeps tenants apart, even for raw SQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from pitstop.bootstrap.models import load_models
from pitstop.db.base import tenant_tables
from pitstop.db.engine import create_engine, session_factory
from pitstop.db.tenant_context import tenant_scope
from pitstop.demo import crm_book as demo_data
from pitstop.runtime import Runtime
from tests.conftest import ON_POSTGRES
from tests.support.factories import make_tenant

load_models()


pytestmark = ON_POSTGRES  # RLS exists only on PostgreSQL: these tests run there alone


async def _raw(runtime: Runtime, sql: str, tenant: uuid.UUID | None, **params: object) -> list:
    async with runtime.engine.connect() as connection:
        if tenant is not None:
            await connection.execute(
                text("SELECT set_config('pitstop.tenant_id', :t, true)"), {"t": str(tenant)}
            )
        rows = (await connection.execute(text(sql), params)).all()
        await connection.rollback()
    return list(rows)


async def test_raw_sql_as_app_role_sees_only_the_set_tenant(runtime: Runtime) -> None:
    # Given two tenants with stores
    alpha, alpha_stores = await make_tenant(runtime, "alpha", stores=2)
    _beta, _ = await make_tenant(runtime, "beta", stores=3)
    # When raw SQL (no ORM) runs as the app role with alpha set, and with nothing set
    seen = await _raw(runtime, "SELECT id FROM stores", alpha)
    unset = await _raw(runtime, "SELECT id FROM stores", None)
    # Then only alpha's rows are visible, and none without a tenant
    assert {r[0] for r in seen} == set(alpha_stores)
    assert unset == []


async def test_raw_sql_cannot_write_into_another_tenant(runtime: Runtime) -> None:
    # Given tenant alpha set on the connection
    alpha, _ = await make_tenant(runtime, "alpha", stores=0)
    beta, _ = await make_tenant(runtime, "beta", stores=1)
    # When raw SQL tries to insert a row for beta
    async with runtime.engine.connect() as connection:
        await connection.execute(
            text("SELECT set_config('pitstop.tenant_id', :t, true)"), {"t": str(alpha)}
        )
        with pytest.raises(DBAPIError, match="row-level security"):
            await connection.execute(
                text(
                    "INSERT INTO stores (tenant_id, id, code, name, city, region, timezone,"
                    " hours, holidays, active, created_at, updated_at) VALUES (:b, :i, 'X', 'x',"
                    " 'c', 'urban', 'UTC', '{}', '[]', true, now(), now())"
                ),
                {"b": beta, "i": uuid.uuid4()},
            )
        await connection.rollback()
    # And raw UPDATE/DELETE of beta's rows affect nothing
    async with runtime.engine.connect() as connection:
        await connection.execute(
            text("SELECT set_config('pitstop.tenant_id', :t, true)"), {"t": str(alpha)}
        )
        updated = await connection.execute(text("UPDATE stores SET name = 'x'"))
        deleted = await connection.execute(text("DELETE FROM stores"))
        assert updated.rowcount == 0 and deleted.rowcount == 0
        await connection.rollback()


async def test_app_role_has_no_bypass_and_owns_nothing(runtime: Runtime) -> None:
    # When the app role's attributes and ownerships are read
    async with runtime.engine.connect() as connection:
        role = (
            await connection.execute(
                text("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        owned = (
            await connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
            )
        ).scalar()
    # Then it can neither bypass RLS nor own a table
    assert tuple(role) == (False, False)
    assert owned == 0


async def test_every_tenant_table_forces_rls(runtime: Runtime) -> None:
    # Given the tenant tables enumerated from the metadata
    names = sorted(t.name for t in tenant_tables())
    # When the catalogue is read
    async with runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                    " WHERE relname = ANY(:names) AND relkind = 'r'"
                ),
                {"names": names},
            )
        ).all()
    # Then 100% of them have ENABLE and FORCE row-level security
    assert sorted(r[0] for r in rows) == names
    assert all(r[1] and r[2] for r in rows), [r[0] for r in rows if not (r[1] and r[2])]


async def test_app_role_cannot_change_audit_rows(runtime: Runtime) -> None:
    # Given the app role
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        # When it tries to UPDATE or DELETE the audit log
        async with runtime.engine.connect() as connection:
            # Then PostgreSQL refuses: the privilege was never granted
            with pytest.raises(DBAPIError, match="permission denied"):
                await connection.execute(text(statement))


SWITCHES = {
    "SET": "SET pitstop.system = 'on'",
    "SET LOCAL": "SET LOCAL pitstop.system = 'on'",
    "set_config session": "SELECT set_config('pitstop.system', 'on', false)",
    "set_config transaction": "SELECT set_config('pitstop.system', 'on', true)",
    "the discovery functions' own setting": "SET pitstop.discovery = 'on'",
}


async def _rows_by_tenant(engine: AsyncEngine, tables: list[str]) -> dict[str, set[uuid.UUID]]:
    async with engine.connect() as connection:
        seen = {
            table: set(
                (await connection.execute(text(f'SELECT DISTINCT tenant_id FROM "{table}"')))
                .scalars()
                .all()
            )
            for table in tables
        }
        await connection.rollback()
    return seen


@pytest.mark.parametrize("switch", list(SWITCHES), ids=list(SWITCHES))
async def test_the_app_role_has_no_switch_that_opens_other_tenants(
    demo: Any,
    runtime: Runtime,
    postgres_server: Any,
    switch: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the demo chain and shop with a small CRM book each, every tenant table as a
    # superuser (above every wall) sees it
    for slug in demo_data.SIZES:
        monkeypatch.setitem(demo_data.SIZES, slug, demo_data.BookSize(3, 3, 6))
    await demo_data.load_demo_crm(runtime.sessions, runtime.clock())
    tables = sorted(t.name for t in tenant_tables())
    superuser = create_engine(postgres_server.dsn("pitstop_test"), poolclass=NullPool)
    try:
        truth = await _rows_by_tenant(superuser, tables)
    finally:
        await superuser.dispose()
    chain = (await _raw(runtime, "SELECT id FROM tenants WHERE slug = 'demo-chain'", None))[0][0]
    foreign = {t: ids - {chain} for t, ids in truth.items() if ids - {chain}}
    assert len(foreign) >= 9, f"the shop should have rows in many tables: {sorted(foreign)}"
    # When the app role flips the switch, with the chain set and with no tenant set
    for tenant in (str(chain), ""):
        async with runtime.engine.connect() as connection:
            await connection.execute(text(SWITCHES[switch]))
            await connection.execute(
                text("SELECT set_config('pitstop.tenant_id', :t, false)"), {"t": tenant}
            )
            leaked = {}
            for table in tables:
                ids = set(
                    (await connection.execute(text(f'SELECT DISTINCT tenant_id FROM "{table}"')))
                    .scalars()
                    .all()
                )
                if ids - {uuid.UUID(tenant) if tenant else None}:
                    leaked[table] = len(ids)
            await connection.rollback()
        # Then no tenant table shows a single foreign row
        assert leaked == {}, f"with tenant {tenant or 'unset'}: {leaked}"


async def test_no_policy_on_a_tenant_table_reads_a_setting_the_app_role_can_change(
    runtime: Runtime,
) -> None:
    # Given every tenant table, core and plugin
    names = sorted(t.name for t in tenant_tables())
    # When the policies that apply to the app role (its own or PUBLIC's) are read
    async with runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT tablename, policyname, qual FROM pg_policies"
                    " WHERE tablename = ANY(:names)"
                    " AND ('public' = ANY(roles) OR current_user = ANY(roles))"
                ),
                {"names": names},
            )
        ).all()
    # Then each table has exactly tenant_isolation, keyed on pitstop.tenant_id alone
    by_table = {name: [r[1] for r in rows if r[0] == name] for name in names}
    assert by_table == {name: ["tenant_isolation"] for name in names}
    assert all("pitstop.system" not in (r[2] or "") for r in rows)


@pytest.mark.parametrize("end", ["commit", "rollback"])
async def test_a_setting_held_for_begin_never_reaches_the_next_user_of_the_connection(
    runtime: Runtime, end: str
) -> None:
    # Given one pooled connection, and a session whose transaction asked for alpha's
    # setting (held to go with its BEGIN) but ended before sending any statement
    engine = create_engine(runtime.settings.database_url, pool_size=1, max_overflow=0)
    try:
        alpha = uuid.uuid4()
        sessions = session_factory(engine)
        with tenant_scope(alpha):
            async with sessions() as session:
                await session.connection()
                await getattr(session, end)()
        # When raw SQL next runs on that connection, setting nothing
        async with engine.connect() as connection:
            seen = (
                await connection.execute(text("SELECT current_setting('pitstop.tenant_id', true)"))
            ).scalar()
            await connection.rollback()
    finally:
        await engine.dispose()
    # Then it carries no tenant
    assert not seen


async def test_a_begin_whose_setting_fails_still_ends_its_transaction(runtime: Runtime) -> None:
    # Given one pooled connection holding a statement that fails after its BEGIN succeeds
    engine = create_engine(runtime.settings.database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert raw.dbapi_connection.hold("SELECT 1/0")
            # When the first statement sends it
            with pytest.raises(DBAPIError, match="division by zero"):
                await connection.execute(text("SELECT 1"))
            await connection.rollback()
        # Then the aborted transaction was ended: the connection's next user can work
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
