"""tradein: the reconditioning service order opened when the shop buys the car

Revision ID: tradein_0003
Revises: tradein_0002
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "tradein_0003"
down_revision: str | Sequence[str] | None = "tradein_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tradein_leads") as batch:
        batch.add_column(sa.Column("recon_order_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tradein_leads_tenant_id_recon_order_id_service_orders"),
            "service_orders",
            ["tenant_id", "recon_order_id"],
            ["tenant_id", "id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("tradein_leads") as batch:
        batch.drop_constraint(
            op.f("fk_tradein_leads_tenant_id_recon_order_id_service_orders"), type_="foreignkey"
        )
        batch.drop_column("recon_order_id")
