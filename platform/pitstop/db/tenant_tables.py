"""Creating a tenant table in a migration, with its walls, in one call.

Every table a plugin (or the core) adds must be a tenant table: ``tenant_id`` and ``id`` as
its primary key, a foreign key to ``tenants``, references to other tenant tables that
include ``tenant_id`` (so a row can never point into another tenant), and row-level
security on PostgreSQL. Spelled out by hand, that is a dozen lines per table that a
migration can get subtly wrong - a forgotten ``enable_rls`` leaves a table readable across
tenants on PostgreSQL, and nothing fails on SQLite. :func:`create_tenant_table` writes them,
with the constraint names the models' naming convention gives, so Alembic's comparison
of models and migrations stays clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from pitstop.db.rls import enable_rls


def tenant_reference(
    table: str, columns: Sequence[str], referred: str, *, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """``table``'s reference to the tenant table ``referred`` by ``columns``, with
    ``tenant_id`` in front: the database refuses a row pointing into another tenant."""
    name = f"fk_{table}_tenant_id_{'_'.join(columns)}_{referred}"
    return sa.ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{referred}.tenant_id", f"{referred}.id"],
        name=op.f(name),
        ondelete=ondelete,
    )


def create_tenant_table(name: str, *items: Any) -> sa.Table:
    """``op.create_table`` for a tenant table: ``tenant_id`` and ``id`` first, the primary
    key on both, the reference to ``tenants``, then ``items`` (columns and constraints), and
    row-level security on PostgreSQL."""
    table = op.create_table(
        name,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *items,
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{name}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{name}")),
    )  # fmt: skip
    enable_rls(op.get_bind(), (name,))
    return table
