"""insights: store groups, the store sets a manager of several stores reads together

Revision ID: 0015
Revises: 0014
``store_groups`` registers each set of two stores or more that a membership holds;
``group_links`` counts that set's visits by local day and the days of the customer's
previous and next visit within the set (``pitstop.crm.store_groups``), so the board's block
for several stores taken together sums rows instead of reading orders. Tenant tables with
row-level security; the nightly job registers the sets and builds their links (the first
night after this migration builds every set held). See docs/insights.md, "Store groups".

Create Date: 2026-11-30 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.db.rls import enable_rls

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_groups",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "stores", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_store_groups_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_store_groups")),
    )
    op.create_table(
        "group_links",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("previous_day", sa.Date(), nullable=False),
        sa.Column("next_day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "group_id"],
            ["store_groups.tenant_id", "store_groups.id"],
            name=op.f("fk_group_links_tenant_id_group_id_store_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_group_links_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_group_links")),
        sa.UniqueConstraint(
            "tenant_id", "group_id", "day", "previous_day", "next_day", name="uq_group_links_key"
        ),
    )
    enable_rls(op.get_bind(), ("store_groups", "group_links"))


def downgrade() -> None:
    op.drop_table("group_links")
    op.drop_table("store_groups")
