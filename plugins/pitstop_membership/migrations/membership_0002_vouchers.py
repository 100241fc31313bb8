"""membership: vouchers

Revision ID: membership_0002
Revises: membership_0001
Voucher templates, vouchers and fulfilled reward requests, under row-level security on
PostgreSQL.

Create Date: 2026-11-30 13:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.sdk import enable_rls

revision: str = "membership_0002"
down_revision: str | Sequence[str] | None = "membership_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("membership_voucher_templates", "membership_vouchers", "membership_rewards")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
    ]


def _stamps() -> list[Any]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "membership_voucher_templates",
        *_tenant("membership_voucher_templates"),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "amount",
                "percent",
                "item",
                name="membership_voucher_kind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("max_discount", sa.Integer(), nullable=True),
        sa.Column("item_category", sa.String(length=32), nullable=True),
        sa.Column("min_spend", sa.Integer(), nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("stores", JSON, nullable=False),
        sa.Column("budget", sa.Integer(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *_stamps(),
        sa.UniqueConstraint(
            "tenant_id", "code", name=op.f("uq_membership_voucher_templates_tenant_id_code")
        ),
    )
    op.create_table(
        "membership_vouchers",
        *_tenant("membership_vouchers"),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "applied",
                "redeemed",
                "expired",
                "void",
                name="membership_voucher_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_store_id", sa.Uuid(), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("reward_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("discount", sa.Integer(), nullable=False),
        sa.Column("redeemed_store_id", sa.Uuid(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.Column("expiring_notified", sa.Boolean(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_membership_vouchers_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "template_id"],
            ["membership_voucher_templates.tenant_id", "membership_voucher_templates.id"],
            name=op.f("fk_membership_vouchers_tenant_id_template_id_membership_voucher_templates"),
        ),
        sa.UniqueConstraint(
            "tenant_id", "code", name=op.f("uq_membership_vouchers_tenant_id_code")
        ),
    )
    with op.batch_alter_table("membership_vouchers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_membership_vouchers_tenant_id_customer_id",
            ["tenant_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_membership_vouchers_tenant_id_status_valid_until",
            ["tenant_id", "status", "valid_until"],
            unique=False,
        )
        batch_op.create_index(
            "ix_membership_vouchers_tenant_id_order_id", ["tenant_id", "order_id"], unique=False
        )
    op.create_table(
        "membership_rewards",
        *_tenant("membership_rewards"),
        sa.Column("reward_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("voucher_id", sa.Uuid(), nullable=True),
        sa.Column("ledger_entry_id", sa.Uuid(), nullable=True),
        sa.Column("source", JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "reward_id", name=op.f("uq_membership_rewards_tenant_id_reward_id")
        ),
    )
    enable_rls(op.get_bind(), TABLES)


def downgrade() -> None:
    op.drop_table("membership_rewards")
    with op.batch_alter_table("membership_vouchers", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_vouchers_tenant_id_order_id")
        batch_op.drop_index("ix_membership_vouchers_tenant_id_status_valid_until")
        batch_op.drop_index("ix_membership_vouchers_tenant_id_customer_id")
    op.drop_table("membership_vouchers")
    op.drop_table("membership_voucher_templates")
