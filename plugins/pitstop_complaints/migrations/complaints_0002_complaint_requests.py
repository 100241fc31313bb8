"""complaints: complaint requests

One row per ``complaint.requested`` answered (opened or refused), keyed by the requester's
``request_id``; row-level security on PostgreSQL.

Revision ID: complaints_0002
Revises: complaints_0001
Create Date: 2026-11-30 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pitstop.sdk import enable_rls

revision: str = "complaints_0002"
down_revision: str | Sequence[str] | None = "complaints_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_requests",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_complaint_requests_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_complaint_requests")),
        sa.UniqueConstraint(
            "tenant_id", "request_id", name=op.f("uq_complaint_requests_tenant_id_request_id")
        ),
    )
    enable_rls(op.get_bind(), ("complaint_requests",))


def downgrade() -> None:
    op.drop_table("complaint_requests")
