"""referrals: the store that issued a code, and what a granted reward is worth

``referral_codes.store_id`` scopes the ``codes_issued`` KPI to a store (a code was made at
a front desk, or by HQ when NULL); ``referral_rewards.value`` keeps the fen value the
fulfiller answered with (a voucher's face value; NULL for points), for the cost per
acquired customer.

Revision ID: referrals_0002
Revises: referrals_0001
Create Date: 2026-11-30 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "referrals_0002"
down_revision: str | Sequence[str] | None = "referrals_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral_codes") as batch:
        batch.add_column(sa.Column("store_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_referral_codes_tenant_id_store_id_stores"),
            "stores",
            ["tenant_id", "store_id"],
            ["tenant_id", "id"],
        )
        batch.create_index(
            "ix_referral_codes_tenant_id_store_id_created_at",
            ["tenant_id", "store_id", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("referral_rewards") as batch:
        batch.add_column(sa.Column("value", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referral_rewards") as batch:
        batch.drop_column("value")
    with op.batch_alter_table("referral_codes") as batch:
        batch.drop_index("ix_referral_codes_tenant_id_store_id_created_at")
        batch.drop_constraint(
            op.f("fk_referral_codes_tenant_id_store_id_stores"), type_="foreignkey"
        )
        batch.drop_column("store_id")
