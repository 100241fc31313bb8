"""wecom: customer ↔ WeCom external contact

Which WeCom external contact (``external_userid``) a customer is, one per customer, with
row-level security on PostgreSQL.

Revision ID: wecom_0001
Revises:
Create Date: 2026-11-30 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pitstop.sdk import create_tenant_table, tenant_reference

revision: str = "wecom_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("wecom",)
depends_on: str | Sequence[str] | None = "0003"


def upgrade() -> None:
    create_tenant_table(
        "wecom_contacts",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        tenant_reference("wecom_contacts", ["customer_id"], "customers"),
        sa.UniqueConstraint(
            "tenant_id", "customer_id", name=op.f("uq_wecom_contacts_tenant_id_customer_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("wecom_contacts")
