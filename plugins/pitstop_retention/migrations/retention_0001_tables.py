"""retention: tables

Each vehicle's due projection, the reminders sent, customers' retention states, the
complaints learnt of, the worklist, surveys, follow-up steps and visits; all get
row-level security on PostgreSQL.

Revision ID: retention_0001
Revises:
Create Date: 2026-11-30 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pitstop.sdk import enable_rls

revision: str = "retention_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("retention",)
depends_on: str | Sequence[str] | None = "0003"

TABLES = (
    "retention_due",
    "retention_reminders",
    "retention_customers",
    "retention_complaints",
    "retention_tasks",
    "retention_surveys",
    "retention_follow_ups",
    "retention_visits",
)


def upgrade() -> None:
    op.create_table(
        "retention_complaints",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_complaints_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_complaints")),
        sa.UniqueConstraint(
            "tenant_id", "complaint_id", name=op.f("uq_retention_complaints_tenant_id_complaint_id")
        ),
    )
    op.create_table(
        "retention_customers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "risk_reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_visit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_store_id", sa.Uuid(), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_customers_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_customers_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_customers")),
        sa.UniqueConstraint(
            "tenant_id", "customer_id", name=op.f("uq_retention_customers_tenant_id_customer_id")
        ),
    )
    op.create_index(
        "ix_retention_customers_tenant_id_state",
        "retention_customers",
        ["tenant_id", "state"],
        unique=False,
    )
    op.create_table(
        "retention_follow_ups",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_follow_ups_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_follow_ups_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_follow_ups")),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "day",
            name=op.f("uq_retention_follow_ups_tenant_id_order_id_day"),
        ),
    )
    op.create_index(
        "ix_retention_follow_ups_tenant_id_due_at",
        "retention_follow_ups",
        ["tenant_id", "due_at"],
        unique=False,
    )
    op.create_table(
        "retention_surveys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("csi", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("low", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_surveys_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_retention_surveys_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_surveys_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_surveys")),
        sa.UniqueConstraint(
            "tenant_id", "order_id", name=op.f("uq_retention_surveys_tenant_id_order_id")
        ),
    )
    op.create_table(
        "retention_tasks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("survey_id", sa.Uuid(), nullable=True),
        sa.Column("reward_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("won_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_tasks_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_retention_tasks_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_tasks_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_tasks")),
        sa.UniqueConstraint(
            "tenant_id", "dedupe_key", name=op.f("uq_retention_tasks_tenant_id_dedupe_key")
        ),
    )
    op.create_index(
        "ix_retention_tasks_tenant_id_customer_id",
        "retention_tasks",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_retention_tasks_tenant_id_store_id_status",
        "retention_tasks",
        ["tenant_id", "store_id", "status"],
        unique=False,
    )
    op.create_table(
        "retention_visits",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_visits_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_visits_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_visits")),
        sa.UniqueConstraint(
            "tenant_id", "order_id", name=op.f("uq_retention_visits_tenant_id_order_id")
        ),
    )
    op.create_index(
        "ix_retention_visits_tenant_id_at", "retention_visits", ["tenant_id", "at"], unique=False
    )
    op.create_table(
        "retention_due",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column("cycle", sa.String(length=64), nullable=False),
        sa.Column("last_service_on", sa.Date(), nullable=False),
        sa.Column("last_service_km", sa.Integer(), nullable=True),
        sa.Column("km_per_day", sa.Float(), nullable=False),
        sa.Column("pace_source", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_km", sa.Integer(), nullable=True),
        sa.Column("projected_km", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("cycle_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_due_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "store_id"],
            ["stores.tenant_id", "stores.id"],
            name=op.f("fk_retention_due_tenant_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "vehicle_id"],
            ["vehicles.tenant_id", "vehicles.id"],
            name=op.f("fk_retention_due_tenant_id_vehicle_id_vehicles"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_due_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_due")),
        sa.UniqueConstraint(
            "tenant_id", "vehicle_id", name=op.f("uq_retention_due_tenant_id_vehicle_id")
        ),
    )
    op.create_index(
        "ix_retention_due_tenant_id_due_date",
        "retention_due",
        ["tenant_id", "due_date"],
        unique=False,
    )
    op.create_table(
        "retention_reminders",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column("cycle", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_order_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_retention_reminders_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "vehicle_id"],
            ["vehicles.tenant_id", "vehicles.id"],
            name=op.f("fk_retention_reminders_tenant_id_vehicle_id_vehicles"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retention_reminders_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_reminders")),
        sa.UniqueConstraint(
            "tenant_id",
            "vehicle_id",
            "cycle",
            "stage",
            name=op.f("uq_retention_reminders_tenant_id_vehicle_id_cycle_stage"),
        ),
    )
    op.create_index(
        "ix_retention_reminders_tenant_id_sent_at",
        "retention_reminders",
        ["tenant_id", "sent_at"],
        unique=False,
    )
    enable_rls(op.get_bind(), TABLES)


def downgrade() -> None:
    op.drop_index("ix_retention_reminders_tenant_id_sent_at", table_name="retention_reminders")
    op.drop_table("retention_reminders")
    op.drop_index("ix_retention_due_tenant_id_due_date", table_name="retention_due")
    op.drop_table("retention_due")
    op.drop_index("ix_retention_visits_tenant_id_at", table_name="retention_visits")
    op.drop_table("retention_visits")
    op.drop_index("ix_retention_tasks_tenant_id_store_id_status", table_name="retention_tasks")
    op.drop_index("ix_retention_tasks_tenant_id_customer_id", table_name="retention_tasks")
    op.drop_table("retention_tasks")
    op.drop_table("retention_surveys")
    op.drop_index("ix_retention_follow_ups_tenant_id_due_at", table_name="retention_follow_ups")
    op.drop_table("retention_follow_ups")
    op.drop_index("ix_retention_customers_tenant_id_state", table_name="retention_customers")
    op.drop_table("retention_customers")
    op.drop_table("retention_complaints")
