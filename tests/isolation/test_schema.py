"""The schema itself keeps tenants apart and is ready to be distributed by tenant_id."""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint, insert
from sqlalchemy.exc import IntegrityError

from pitstop.bootstrap.models import load_models
from pitstop.db.base import tenant_tables
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.models import ApiKey, Membership, User
from pitstop.runtime import Runtime
from tests.support.factories import make_tenant

REFERENCE_TABLES = {"tenants", "users"}
"""Platform tables a tenant table may reference (Citus: reference tables)."""

load_models()


def test_there_are_tenant_tables() -> None:
    assert {"stores", "memberships", "audit_log"} <= {t.name for t in tenant_tables()}


@pytest.mark.parametrize("table", tenant_tables(), ids=lambda t: t.name)
def test_keys_include_tenant_id(table: object) -> None:
    # Given a tenant table from the metadata (so a new table is checked automatically)
    # Then its primary key leads with tenant_id
    assert next(c.name for c in table.primary_key.columns) == "tenant_id"  # type: ignore[attr-defined]
    for constraint in table.constraints:  # type: ignore[attr-defined]
        # And every unique constraint includes tenant_id
        if isinstance(constraint, UniqueConstraint):
            assert "tenant_id" in constraint.columns, constraint.name
        # And every foreign key includes tenant_id, unless it points at a platform table
        if isinstance(constraint, ForeignKeyConstraint):
            if constraint.referred_table.name in REFERENCE_TABLES:
                continue
            assert "tenant_id" in [c.name for c in constraint.columns], constraint.name
    for index in table.indexes:  # type: ignore[attr-defined]
        if index.unique:
            assert "tenant_id" in index.columns, index.name


async def test_composite_foreign_key_rejects_cross_tenant_reference(runtime: Runtime) -> None:
    # Given a membership in tenant beta
    alpha, _ = await make_tenant(runtime, "alpha", stores=0)
    beta, _ = await make_tenant(runtime, "beta", stores=0)
    async with runtime.sessions() as session, session.begin():
        user = User(email="p@example.com", name="P")
        session.add(user)
        await session.flush()
        with tenant_scope(beta):
            membership = Membership(user_id=user.id, role="hq_admin")
            session.add(membership)
            await session.flush()
            beta_membership = membership.id
    # When alpha stores an API key whose creator is beta's membership (bypassing the ORM guard)
    # Then the database refuses it
    async with runtime.sessions() as session:
        with tenant_scope(alpha), pytest.raises(IntegrityError):
            async with session.begin():
                await session.execute(
                    insert(ApiKey).values(
                        tenant_id=alpha,
                        name="k",
                        prefix="abc",
                        secret_hash="h",
                        permissions=[],
                        created_by=beta_membership,
                    )
                )
