"""membership: indexes for the customer list's tier filter

Revision ID: membership_0003
Revises: membership_0002
``GET /api/v1/customers?tier=`` selects the accounts whose tier in force is the one asked
(an unexpired override wins; ``customers.with_tier``). ``(tenant_id, tier)`` and
``(tenant_id, override_tier)`` let PostgreSQL answer both arms of that rule from indexes
instead of reading every account of the tenant (tests/insights/test_filter_plans.py).

Create Date: 2026-11-30 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "membership_0003"
down_revision: str | Sequence[str] | None = "membership_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_membership_accounts_tenant_id_tier", "membership_accounts", ["tenant_id", "tier"]
    )
    op.create_index(
        "ix_membership_accounts_tenant_id_override_tier",
        "membership_accounts",
        ["tenant_id", "override_tier"],
    )


def downgrade() -> None:
    op.drop_index("ix_membership_accounts_tenant_id_override_tier", "membership_accounts")
    op.drop_index("ix_membership_accounts_tenant_id_tier", "membership_accounts")
