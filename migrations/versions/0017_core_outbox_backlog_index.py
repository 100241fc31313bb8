"""events: a partial index on each tenant's unpublished events, for the worker's claim

Revision ID: 0017
Revises: 0016
The worker relays and delivers a tenant's backlog in one transaction (events/backlog.py),
claiming its oldest unpublished events. With only ``(published_at, occurred_at)`` that claim
walked every tenant's unpublished rows and kept its own: with 2,000 events waiting across
10,000 tenants, each claim read the whole backlog. ``(tenant_id, occurred_at) WHERE
published_at IS NULL`` holds only what waits, so a claim reads its tenant's rows alone.
See docs/performance.md, "Event delivery".

Create Date: 2026-12-01 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNPUBLISHED = sa.text("published_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_events_unpublished",
        "outbox_events",
        ["tenant_id", "occurred_at"],
        postgresql_where=_UNPUBLISHED,
        sqlite_where=_UNPUBLISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_unpublished", table_name="outbox_events")
