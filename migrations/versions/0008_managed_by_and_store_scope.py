"""administration: who manages a record, store-scoped roles, refresh tokens

Revision ID: 0008
Revises: 0004
Stores, memberships and roles say who manages them (``managed_by``: ``manifest`` or
``api``); manifests change only their own. Roles say whether their people work at named
stores (``store_scoped``); the three store templates are. Login sessions get refresh
tokens, stored as hashes in the platform table ``refresh_tokens``.
See docs/security/administration.md.

Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MANAGED_TABLES = ("stores", "memberships", "roles")

# Rows that exist before this revision are the API's: nobody can tell any more which a
# manifest created, and a manifest must never deactivate what it does not own. An operator
# runs `pitstop tenants adopt DIR` once to hand the manifests' own records back to them.
_STORE_TEMPLATES = """
UPDATE roles SET store_scoped = true
WHERE builtin AND name IN ('store_manager', 'service_advisor', 'technician')
"""


def _managed_by() -> sa.Column[str]:
    return sa.Column(
        "managed_by",
        sa.Enum("api", "manifest", name="managed_by", native_enum=False, length=32),
        server_default="api",
        nullable=False,
    )


def upgrade() -> None:
    for table in MANAGED_TABLES:
        op.add_column(table, _managed_by())
    op.add_column(
        "roles", sa.Column("store_scoped", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    _backfill_store_templates()
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("credentials_epoch", sa.Integer(), nullable=False),
        sa.Column("membership_epoch", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_tokens_family_id", ["family_id"], unique=False)
        batch_op.create_index("ix_refresh_tokens_user_id", ["user_id"], unique=False)


def _backfill_store_templates() -> None:
    """Every tenant's template rows, as the table owner (see 0004 for why FORCE is lifted)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE roles NO FORCE ROW LEVEL SECURITY")
    op.execute(_STORE_TEMPLATES)
    if postgres:
        op.execute("ALTER TABLE roles FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_refresh_tokens_user_id")
        batch_op.drop_index("ix_refresh_tokens_family_id")
    op.drop_table("refresh_tokens")
    # Plain DROP COLUMN (SQLite 3.35+), not batch mode: batch recreates the table, and
    # dropping ``stores`` while service orders point at it fails with foreign keys on.
    op.drop_column("roles", "store_scoped")
    for table in MANAGED_TABLES:
        op.drop_column(table, "managed_by")
