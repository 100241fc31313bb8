"""identity: owned identities, pending memberships and token epochs

Revision ID: 0004
Revises: 0003
A tenant may name an identity or give it its first password only while it owns it
(``users.owner_tenant_id``); hiring anyone else's identity makes a pending membership
the person accepts with their own password. ``users.credentials_epoch`` and
``memberships.epoch`` let a password change or a deactivation revoke earlier tokens.
See docs/security/identity.md.

Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An identity with exactly one membership (and no operator rights) was created by that
# tenant for that tenant: it stays that tenant's to name and to invite. Every other
# identity is owned by nobody, so no tenant can change it.
_BACKFILL_OWNERS = """
UPDATE users SET owner_tenant_id = (
    SELECT m.tenant_id FROM memberships m WHERE m.user_id = users.id
)
WHERE NOT platform_admin
  AND (SELECT count(*) FROM memberships m WHERE m.user_id = users.id) = 1
"""


def upgrade() -> None:
    op.add_column("users", sa.Column("owner_tenant_id", sa.Uuid(), nullable=True))
    op.add_column(
        "users",
        sa.Column("credentials_epoch", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "memberships",
        sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("memberships", sa.Column("display_name", sa.String(length=200), nullable=True))
    op.add_column(
        "memberships", sa.Column("epoch", sa.Integer(), server_default="0", nullable=False)
    )
    _backfill_owners()


def _backfill_owners() -> None:
    """Read every tenant's memberships once, as the table owner.

    ``FORCE ROW LEVEL SECURITY`` filters even the owner; lifting it inside this
    transaction (PostgreSQL DDL is transactional) lets the count see all tenants, and it
    is back before anything else can run.
    """
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY")
    op.execute(_BACKFILL_OWNERS)
    if postgres:
        op.execute("ALTER TABLE memberships FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    op.drop_column("memberships", "epoch")
    op.drop_column("memberships", "display_name")
    op.drop_column("memberships", "pending")
    op.drop_column("users", "credentials_epoch")
    op.drop_column("users", "owner_tenant_id")
