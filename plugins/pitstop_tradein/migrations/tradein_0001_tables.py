"""tradein: tables

The price table, candidates, leads with their stage history, appraisals and offers; all
get row-level security on PostgreSQL.

Revision ID: tradein_0001
Revises:
Create Date: 2026-11-30 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.sdk import enable_rls

revision: str = "tradein_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("tradein",)
depends_on: str | Sequence[str] | None = "0003"

TABLES = (
    "tradein_prices",
    "tradein_candidates",
    "tradein_leads",
    "tradein_stage_changes",
    "tradein_appraisals",
    "tradein_offers",
)


def upgrade() -> None:
    op.create_table(
        "tradein_prices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("base_value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tradein_prices_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tradein_prices")),
        sa.UniqueConstraint(
            "tenant_id",
            "make",
            "model",
            "year",
            name=op.f("uq_tradein_prices_tenant_id_make_model_year"),
        ),
    )
    op.create_table(
        "tradein_candidates",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("age_months", sa.Integer(), nullable=True),
        sa.Column("projected_km", sa.Integer(), nullable=True),
        sa.Column("recent_spend", sa.Integer(), nullable=False),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_tradein_candidates_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_tradein_candidates_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "vehicle_id"],
            ["vehicles.tenant_id", "vehicles.id"],
            name=op.f("fk_tradein_candidates_tenant_id_vehicle_id_vehicles"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tradein_candidates_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tradein_candidates")),
        sa.UniqueConstraint(
            "tenant_id", "vehicle_id", name=op.f("uq_tradein_candidates_tenant_id_vehicle_id")
        ),
    )
    op.create_index(
        "ix_tradein_candidates_tenant_id_store_id",
        "tradein_candidates",
        ["tenant_id", "store_id"],
        unique=False,
    )
    op.create_table(
        "tradein_leads",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("purchase_price", sa.Integer(), nullable=True),
        sa.Column("replacement_from_us", sa.Boolean(), nullable=True),
        sa.Column("replacement_amount", sa.Integer(), nullable=True),
        sa.Column("sold_price", sa.Integer(), nullable=True),
        sa.Column("sold_channel", sa.String(length=32), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_tradein_leads_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_tradein_leads_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "vehicle_id"],
            ["vehicles.tenant_id", "vehicles.id"],
            name=op.f("fk_tradein_leads_tenant_id_vehicle_id_vehicles"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tradein_leads_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tradein_leads")),
    )
    op.create_index(
        "ix_tradein_leads_tenant_id_customer_id",
        "tradein_leads",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_tradein_leads_tenant_id_store_id_stage",
        "tradein_leads",
        ["tenant_id", "store_id", "stage"],
        unique=False,
    )
    op.create_table(
        "tradein_appraisals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("odometer_km", sa.Integer(), nullable=False),
        sa.Column(
            "inspection",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("accident", sa.Boolean(), nullable=False),
        sa.Column("flood", sa.Boolean(), nullable=False),
        sa.Column("keys", sa.Integer(), nullable=False),
        sa.Column("book_value", sa.Integer(), nullable=False),
        sa.Column("book_value_source", sa.String(length=16), nullable=False),
        sa.Column(
            "recon_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("valuation", sa.Integer(), nullable=False),
        sa.Column(
            "breakdown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("highest_recorded_km", sa.Integer(), nullable=True),
        sa.Column("rollback_suspected", sa.Boolean(), nullable=False),
        sa.Column("rollback_reason", sa.Text(), nullable=True),
        sa.Column("appraiser_id", sa.Uuid(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"],
            ["tradein_leads.tenant_id", "tradein_leads.id"],
            name=op.f("fk_tradein_appraisals_tenant_id_lead_id_tradein_leads"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tradein_appraisals_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tradein_appraisals")),
        sa.UniqueConstraint(
            "tenant_id",
            "lead_id",
            "version",
            name=op.f("uq_tradein_appraisals_tenant_id_lead_id_version"),
        ),
    )
    op.create_table(
        "tradein_stage_changes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"],
            ["tradein_leads.tenant_id", "tradein_leads.id"],
            name=op.f("fk_tradein_stage_changes_tenant_id_lead_id_tradein_leads"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tradein_stage_changes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tradein_stage_changes")),
    )
    op.create_index(
        "ix_tradein_stage_changes_tenant_id_lead_id",
        "tradein_stage_changes",
        ["tenant_id", "lead_id"],
        unique=False,
    )
    op.create_table(
        "tradein_offers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("appraisal_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("valuation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "approval_reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "appraisal_id"],
            ["tradein_appraisals.tenant_id", "tradein_appraisals.id"],
            name=op.f("fk_tradein_offers_tenant_id_appraisal_id_tradein_appraisals"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"],
            ["tradein_leads.tenant_id", "tradein_leads.id"],
            name=op.f("fk_tradein_offers_tenant_id_lead_id_tradein_leads"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tradein_offers_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tradein_offers")),
    )
    op.create_index(
        "ix_tradein_offers_tenant_id_lead_id",
        "tradein_offers",
        ["tenant_id", "lead_id"],
        unique=False,
    )
    op.create_index(
        "ix_tradein_offers_tenant_id_status_valid_until",
        "tradein_offers",
        ["tenant_id", "status", "valid_until"],
        unique=False,
    )
    enable_rls(op.get_bind(), TABLES)


def downgrade() -> None:
    op.drop_index("ix_tradein_offers_tenant_id_status_valid_until", table_name="tradein_offers")
    op.drop_index("ix_tradein_offers_tenant_id_lead_id", table_name="tradein_offers")
    op.drop_table("tradein_offers")
    op.drop_index("ix_tradein_stage_changes_tenant_id_lead_id", table_name="tradein_stage_changes")
    op.drop_table("tradein_stage_changes")
    op.drop_table("tradein_appraisals")
    op.drop_index("ix_tradein_leads_tenant_id_store_id_stage", table_name="tradein_leads")
    op.drop_index("ix_tradein_leads_tenant_id_customer_id", table_name="tradein_leads")
    op.drop_table("tradein_leads")
    op.drop_index("ix_tradein_candidates_tenant_id_store_id", table_name="tradein_candidates")
    op.drop_table("tradein_candidates")
    op.drop_table("tradein_prices")
