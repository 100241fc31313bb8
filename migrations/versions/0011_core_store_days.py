"""insights: daily per-store rollups of visits, which the KPI board sums

Revision ID: 0011
Revises: 0010
``store_days`` holds, per store, local day and customer source, the day's revenue, orders,
visits and new customers (``pitstop.crm.rollups``). A tenant table with row-level security;
rows are written with the orders and recomputed nightly, which also back-fills the history
of a tenant whose orders predate this table. See docs/insights.md, "Scale". Vehicles gain
``(tenant_id, lower(make))`` and ``(tenant_id, lower(model))`` indexes: the customer list's
make/model filters compare case-insensitively, and scanned every vehicle without them
(found by tests/insights/test_filter_plans.py).

Create Date: 2026-11-30 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pitstop.db.rls import enable_rls

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_days",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("new_customers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_store_days_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_store_days_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_store_days")),
        sa.UniqueConstraint(
            "tenant_id",
            "store_id",
            "day",
            "source",
            name=op.f("uq_store_days_tenant_id_store_id_day_source"),
        ),
    )
    op.create_index("ix_store_days_tenant_id_day", "store_days", ["tenant_id", "day"])
    enable_rls(op.get_bind(), ("store_days",))
    op.create_index(
        "ix_vehicles_tenant_id_lower_make", "vehicles", ["tenant_id", sa.text("lower(make)")]
    )
    op.create_index(
        "ix_vehicles_tenant_id_lower_model", "vehicles", ["tenant_id", sa.text("lower(model)")]
    )


def downgrade() -> None:
    op.drop_index("ix_vehicles_tenant_id_lower_model", table_name="vehicles")
    op.drop_index("ix_vehicles_tenant_id_lower_make", table_name="vehicles")
    op.drop_index("ix_store_days_tenant_id_day", table_name="store_days")
    op.drop_table("store_days")
