"""tradein: the purchase reward asked for on a lead, and its answer

Revision ID: tradein_0002
Revises: tradein_0001
Create Date: 2026-11-30 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "tradein_0002"
down_revision: str | Sequence[str] | None = "tradein_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tradein_leads") as batch:
        batch.add_column(sa.Column("reward_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("reward_status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("reward_reason", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("reward_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "reward_request",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tradein_leads") as batch:
        batch.drop_column("reward_request")
        batch.drop_column("reward_requested_at")
        batch.drop_column("reward_reason")
        batch.drop_column("reward_status")
        batch.drop_column("reward_id")
