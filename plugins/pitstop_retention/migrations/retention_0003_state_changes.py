"""retention: the history of customers' retention states

Each change of state (from, to, the reasons, when), for the 360° view, the API, the
customer's export and their erasure; row-level security on PostgreSQL.

Revision ID: retention_0003
Revises: retention_0002
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.sdk import enable_rls

revision: str = "retention_0003"
down_revision: str | Sequence[str] | None = "retention_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_state_changes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_state_changes_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_state_changes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_state_changes")),
    )
    op.create_index(
        "ix_retention_state_changes_tenant_id_customer_id",
        "retention_state_changes",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    enable_rls(op.get_bind(), ("retention_state_changes",))


def downgrade() -> None:
    op.drop_index(
        "ix_retention_state_changes_tenant_id_customer_id", table_name="retention_state_changes"
    )
    op.drop_table("retention_state_changes")
