"""insights: visit links, which the KPI board's distinct-customer figures sum

Revision ID: 0014
Revises: 0013
``visit_links`` counts visits by scope (chain, or one store), store, local day and the
days of the customer's previous and next visits in that scope (``pitstop.crm.visit_links``):
unique customers, the repurchase rate and 12-month retention become sums over it instead of
distinct counts over the orders. ``retention_days`` holds 12-month retention by the
board's last day as running-sum deltas per store (``pitstop.crm.retention_days``), so
retention reads stores x days rows. Tenant tables with row-level security; rows are written
with the orders and rebuilt by the nightly job when they do not account for every visit
(the first night after this migration back-fills them). See docs/insights.md, "Scale".

Create Date: 2026-11-30 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pitstop.db.rls import enable_rls

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_links",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("chain", sa.Boolean(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("previous_day", sa.Date(), nullable=False),
        sa.Column("next_day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_visit_links_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_visit_links_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_visit_links")),
        sa.UniqueConstraint(
            "tenant_id",
            "chain",
            "day",
            "store_id",
            "previous_day",
            "next_day",
            name="uq_visit_links_key",
        ),
    )
    op.create_table(
        "retention_days",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("back", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_days_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_days")),
        sa.UniqueConstraint(
            "tenant_id", "store_id", "day", name=op.f("uq_retention_days_tenant_id_store_id_day")
        ),
    )
    enable_rls(op.get_bind(), ("visit_links", "retention_days"))


def downgrade() -> None:
    op.drop_table("retention_days")
    op.drop_table("visit_links")
