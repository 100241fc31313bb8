"""referrals: tables

Referral codes, referrals with their signals and review, and one reward row per side;
all get row-level security on PostgreSQL.

Revision ID: referrals_0001
Revises:
Create Date: 2026-11-30 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.sdk import enable_rls

revision: str = "referrals_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("referrals",)
depends_on: str | Sequence[str] | None = "0003"

TABLES = ("referral_codes", "referrals", "referral_rewards")


def upgrade() -> None:
    op.create_table(
        "referral_codes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_referral_codes_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_referral_codes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_referral_codes_tenant_id_code")),
    )
    op.create_index(
        "ix_referral_codes_tenant_id_customer_id",
        "referral_codes",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    op.create_table(
        "referrals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_id", sa.Uuid(), nullable=False),
        sa.Column("referrer_id", sa.Uuid(), nullable=True),
        sa.Column("referee_id", sa.Uuid(), nullable=True),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_status", sa.String(length=20), nullable=True),
        sa.Column(
            "signals",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("linked_by", sa.Uuid(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("order_total", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("qualifies_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("qualified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "code_id"],
            ["referral_codes.tenant_id", "referral_codes.id"],
            name=op.f("fk_referrals_tenant_id_code_id_referral_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "referee_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_referrals_tenant_id_referee_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "referrer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_referrals_tenant_id_referrer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_referrals_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_referrals_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "tenant_id", "referee_id", name=op.f("uq_referrals_tenant_id_referee_id")
        ),
    )
    op.create_index(
        "ix_referrals_tenant_id_referrer_id",
        "referrals",
        ["tenant_id", "referrer_id"],
        unique=False,
    )
    op.create_index(
        "ix_referrals_tenant_id_status_qualifies_at",
        "referrals",
        ["tenant_id", "status", "qualifies_at"],
        unique=False,
    )
    op.create_index(
        "ix_referrals_tenant_id_store_id_status",
        "referrals",
        ["tenant_id", "store_id", "status"],
        unique=False,
    )
    op.create_table(
        "referral_rewards",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("reward_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("voucher_template", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("voucher_id", sa.Uuid(), nullable=True),
        sa.Column("ledger_entry_id", sa.Uuid(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "referral_id"],
            ["referrals.tenant_id", "referrals.id"],
            name=op.f("fk_referral_rewards_tenant_id_referral_id_referrals"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_referral_rewards_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_referral_rewards")),
        sa.UniqueConstraint(
            "tenant_id",
            "referral_id",
            "side",
            name=op.f("uq_referral_rewards_tenant_id_referral_id_side"),
        ),
        sa.UniqueConstraint(
            "tenant_id", "reward_id", name=op.f("uq_referral_rewards_tenant_id_reward_id")
        ),
    )
    op.create_index(
        "ix_referral_rewards_tenant_id_customer_id",
        "referral_rewards",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    enable_rls(op.get_bind(), TABLES)


def downgrade() -> None:
    op.drop_table("referral_rewards")
    op.drop_table("referrals")
    op.drop_table("referral_codes")
