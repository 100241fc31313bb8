"""insights: RFM scores per customer, the nightly runs, indexes for period scans

Revision ID: 0010
Revises: 0009
``customer_rfm`` holds each customer's latest scores and segment (one row per customer with
a visit; the customer list filters on ``segment``); ``rfm_runs`` records each nightly run
and the segment sizes it left (the segments report's trend). Both are tenant tables with
row-level security. Service orders gain ``(tenant_id, completed_at)`` and ``(tenant_id,
store_id, completed_at)`` indexes for the KPI board's and the order list's period scans.
See docs/insights.md.

Create Date: 2026-11-30 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.db.rls import enable_rls

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("customer_rfm", "rfm_runs")


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "customer_rfm",
        *_tenant_columns(),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", sa.BigInteger(), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("f", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("last_store_id", sa.Uuid(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_rfm_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "last_store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_customer_rfm_tenant_id_last_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_rfm_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customer_rfm")),
        sa.UniqueConstraint(
            "tenant_id", "customer_id", name=op.f("uq_customer_rfm_tenant_id_customer_id")
        ),
    )
    op.create_index("ix_customer_rfm_tenant_id_segment", "customer_rfm", ["tenant_id", "segment"])
    op.create_index(
        "ix_customer_rfm_tenant_id_last_store_id", "customer_rfm", ["tenant_id", "last_store_id"]
    )
    op.create_table(
        "rfm_runs",
        *_tenant_columns(),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("window_months", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column(
            "sizes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_rfm_runs_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_rfm_runs")),
    )
    op.create_index("ix_rfm_runs_tenant_id_computed_at", "rfm_runs", ["tenant_id", "computed_at"])
    op.create_index(
        "ix_service_orders_tenant_id_completed_at", "service_orders", ["tenant_id", "completed_at"]
    )
    op.create_index(
        "ix_service_orders_tenant_id_store_id_completed_at",
        "service_orders",
        ["tenant_id", "store_id", "completed_at"],
    )
    enable_rls(op.get_bind(), TENANT_TABLES)


def downgrade() -> None:
    op.drop_index("ix_service_orders_tenant_id_store_id_completed_at", table_name="service_orders")
    op.drop_index("ix_service_orders_tenant_id_completed_at", table_name="service_orders")
    op.drop_index("ix_rfm_runs_tenant_id_computed_at", table_name="rfm_runs")
    op.drop_table("rfm_runs")
    op.drop_index("ix_customer_rfm_tenant_id_last_store_id", table_name="customer_rfm")
    op.drop_index("ix_customer_rfm_tenant_id_segment", table_name="customer_rfm")
    op.drop_table("customer_rfm")
