"""retention: per-store service intervals

A store may set its own interval (km, months) for the cars last serviced there, in place of
the tenant's; row-level security on PostgreSQL like every tenant table.

Revision ID: retention_0002
Revises: retention_0001
Create Date: 2026-11-30 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pitstop.sdk import enable_rls

revision: str = "retention_0002"
down_revision: str | Sequence[str] | None = "retention_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_store_intervals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("km", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_retention_store_intervals_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_store_intervals_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_store_intervals")),
        sa.UniqueConstraint(
            "tenant_id", "store_id", name=op.f("uq_retention_store_intervals_tenant_id_store_id")
        ),
    )
    enable_rls(op.get_bind(), ("retention_store_intervals",))


def downgrade() -> None:
    op.drop_table("retention_store_intervals")
