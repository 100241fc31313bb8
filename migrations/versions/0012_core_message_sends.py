"""messaging: a send-claim per try, committed before the provider is called

Revision ID: 0012
Revises: 0011
``message_sends`` holds one row per (message, attempt), written and committed before a
channel without an idempotency key is handed the message; its ``outcome`` is written with
the message's result. A redelivered message finding a claim without an outcome is not
sent again blindly (docs/messaging.md, "Not texting twice"). A tenant table with
row-level security. ``messages`` gains a ``(tenant_id, receipt_id)`` index: a delivery
report naming only the provider's receipt (Tencent Cloud's ``sid``) finds its message.

Create Date: 2026-11-30 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pitstop.db.rls import enable_rls

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_sends",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "message_id"],
            ["messages.tenant_id", "messages.id"],
            name=op.f("fk_message_sends_tenant_id_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_message_sends_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_message_sends")),
        sa.UniqueConstraint(
            "tenant_id",
            "message_id",
            "attempt",
            name=op.f("uq_message_sends_tenant_id_message_id_attempt"),
        ),
    )
    enable_rls(op.get_bind(), ("message_sends",))
    op.create_index("ix_messages_tenant_id_receipt_id", "messages", ["tenant_id", "receipt_id"])


def downgrade() -> None:
    op.drop_index("ix_messages_tenant_id_receipt_id", table_name="messages")
    op.drop_table("message_sends")
