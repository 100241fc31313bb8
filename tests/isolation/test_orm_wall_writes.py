"""The ORM wall on writes: no INSERT, UPDATE or DELETE of tenant A ever lands in tenant B.

Embedded SQLite has no row-level security, so this wall is the only one there; on
PostgreSQL the guard refuses before RLS would, with the same error on both databases.
Every statement kind a developer can write is attacked: ORM ``add``, Core ``insert`` with
one row, with many rows and executemany, ``update`` that moves ``tenant_id``, bulk update
by primary key, and statements written against the ``Table`` rather than the class.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import Customer
from pitstop.db.guard import CrossTenantWrite, UnfilteredStatement
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Store
from tests.support.factories import make_tenant

STORES = Store.__table__


def _row(tenant_id: uuid.UUID | None, code: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "code": code,
        "name": f"planted {code}",
        "city": "上海",
        "region": "urban",
        "timezone": "Asia/Shanghai",
        "hours": {},
        "holidays": [],
    }
    if tenant_id is not None:
        row["tenant_id"] = tenant_id
    return row


Attack = Callable[[AsyncSession, uuid.UUID, list[uuid.UUID]], Awaitable[Any]]


async def _orm_add(s: AsyncSession, beta: uuid.UUID, _: list[uuid.UUID]) -> Any:
    s.add(Store(**_row(beta, "P0")))
    await s.flush()


async def _upsert_moving_tenant(s: AsyncSession, beta: uuid.UUID, _: list[uuid.UUID]) -> Any:
    dialect_insert = postgresql_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(Store).values(**_row(None, "S000"))
    return await s.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "code"], set_={"tenant_id": beta}
        )
    )


WRITES: dict[str, tuple[Attack, type[Exception]]] = {
    "orm add": (_orm_add, CrossTenantWrite),
    "core insert one row": (
        lambda s, beta, _: s.execute(insert(Store).values(**_row(beta, "P1"))),
        CrossTenantWrite,
    ),
    "core insert many rows": (
        lambda s, beta, _: s.execute(insert(Store).values([_row(beta, "P2"), _row(beta, "P3")])),
        CrossTenantWrite,
    ),
    "executemany insert": (
        lambda s, beta, _: s.execute(insert(Store), [_row(beta, "P4"), _row(beta, "P5")]),
        CrossTenantWrite,
    ),
    "insert into the Table": (
        lambda s, beta, _: s.execute(insert(STORES).values(**_row(beta, "P6"))),
        CrossTenantWrite,
    ),
    "update moving tenant_id": (
        lambda s, beta, _: s.execute(update(Store).values(tenant_id=beta)),
        CrossTenantWrite,
    ),
    "update moving tenant_id by parameters": (
        lambda s, beta, _: s.execute(
            update(Store).where(Store.code == "S000"), {"tenant_id": beta}
        ),
        CrossTenantWrite,
    ),
    "bulk update by primary key": (
        lambda s, beta, ids: s.execute(
            update(Store), [{"tenant_id": beta, "id": ids[0], "name": "hijacked"}]
        ),
        CrossTenantWrite,
    ),
    "upsert moving tenant_id": (_upsert_moving_tenant, CrossTenantWrite),
    "update of the Table": (
        lambda s, beta, ids: s.execute(update(STORES).values(name="hijacked")),
        UnfilteredStatement,
    ),
    "delete from the Table": (
        lambda s, beta, ids: s.execute(delete(STORES).where(STORES.c.id == ids[0])),
        UnfilteredStatement,
    ),
}


async def _beta_stores(runtime: Runtime, beta: uuid.UUID) -> list[tuple[Any, ...]]:
    async with runtime.sessions() as session:
        with tenant_scope(beta):
            rows = await session.execute(select(Store.id, Store.code, Store.name))
            return sorted(tuple(r) for r in rows.all())


@pytest.mark.parametrize("attack", list(WRITES), ids=list(WRITES))
async def test_a_write_for_another_tenant_is_refused(runtime: Runtime, attack: str) -> None:
    # Given two tenants with a store each, and beta's rows as beta sees them
    alpha, _ = await make_tenant(runtime, "alpha")
    beta, beta_stores = await make_tenant(runtime, "beta")
    before = await _beta_stores(runtime, beta)
    write, refusal = WRITES[attack]
    # When alpha writes a row for beta, moves a row to beta or names beta's row
    async with runtime.sessions() as session:
        with tenant_scope(alpha), pytest.raises(refusal):
            async with session.begin():
                await write(session, beta, beta_stores)
    # Then the guard refuses before the database is asked, and beta's rows are unchanged
    assert await _beta_stores(runtime, beta) == before


async def test_core_inserts_without_tenant_id_are_stamped(runtime: Runtime) -> None:
    # Given a tenant
    alpha, _ = await make_tenant(runtime, "alpha", stores=0)
    # When it inserts through Core with one row and with executemany, naming no tenant_id
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(alpha):
            await session.execute(insert(Store).values(**_row(None, "C1")))
            await session.execute(insert(Store), [_row(None, "C2"), _row(None, "C3")])
    # Then every row carries the tenant in context
    async with runtime.sessions() as session:
        with tenant_scope(alpha):
            codes = (await session.scalars(select(Store.code).order_by(Store.code))).all()
    assert codes == ["C1", "C2", "C3"]


async def test_own_tenant_writes_pass(runtime: Runtime) -> None:
    # Given a tenant with a store
    alpha, alpha_stores = await make_tenant(runtime, "alpha")
    # When it names its own tenant in a multi-row insert and a bulk update by primary key
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(alpha):
            await session.execute(insert(Store).values([_row(alpha, "M1"), _row(alpha, "M2")]))
            await session.execute(
                update(Store), [{"tenant_id": alpha, "id": alpha_stores[0], "name": "renamed"}]
            )
    # Then both writes land
    async with runtime.sessions() as session:
        with tenant_scope(alpha):
            names = set((await session.scalars(select(Store.name))).all())
    assert names == {"renamed", "planted M1", "planted M2"}


TABLE_READS = {
    "core select": lambda: select(STORES.c.id),
    "core count": lambda: select(func.count()).select_from(STORES),
    "the Table inside an ORM query": lambda: select(Customer.id).where(
        exists(select(STORES.c.id).where(STORES.c.tenant_id == Customer.tenant_id))
    ),
}


@pytest.mark.parametrize("read", list(TABLE_READS), ids=list(TABLE_READS))
async def test_reading_the_table_under_a_tenant_is_refused(runtime: Runtime, read: str) -> None:
    # Given two tenants
    alpha, _ = await make_tenant(runtime, "alpha")
    await make_tenant(runtime, "beta")
    # When alpha reads stores through the Table, which the loader criteria cannot filter
    async with runtime.sessions() as session:
        with tenant_scope(alpha), pytest.raises(UnfilteredStatement):
            # Then the read is refused rather than answered with every tenant's rows
            await session.execute(TABLE_READS[read]())


async def test_the_wall_hangs_off_the_projects_session_class_only(runtime: Runtime) -> None:
    # Given a tenant, and an AsyncSession built on SQLAlchemy's own Session class, as
    # another library in the same process would build it
    await make_tenant(runtime, "alpha")
    async with AsyncSession(runtime.engine) as foreign_session:
        # When it reads a table with no tenant in context
        rows = (await foreign_session.execute(select(Store.id))).all()
    # Then Pitstop's listeners do not intervene (only the database's own rules apply)
    expected = 0 if runtime.settings.is_postgres else 1
    assert len(rows) == expected


async def test_a_verdict_kept_by_shape_never_lets_a_table_named_twin_through(
    runtime: Runtime,
) -> None:
    # Given a tenant, and the wall having allowed a query naming stores through the class
    # (its verdict is kept by the statement's shape, for statements built per request)
    alpha, _ = await make_tenant(runtime, "alpha")

    def through_class() -> Any:
        return select(Customer.id).where(
            exists(select(Store.id).where(Store.tenant_id == Customer.tenant_id))
        )

    async with runtime.sessions() as session:
        with tenant_scope(alpha):
            await session.execute(through_class())
            await session.execute(through_class())  # a new object of the same shape
            # When the same query is built again naming the stores through the Table,
            # twice (the second from the kept verdict)
            for _ in range(2):
                with pytest.raises(UnfilteredStatement):
                    # Then it is refused each time: a column's mapping is part of the shape
                    await session.execute(TABLE_READS["the Table inside an ORM query"]())
            # And the class-named query is still answered
            await session.execute(through_class())
