"""insights: the RFM indexes carry the customer id, so a filtered list pages by index

Revision ID: 0016
Revises: 0015
The customer list pages by customer id and filters on the customer's RFM row (``segment``,
or the store of the latest visit). With ``(tenant_id, segment)`` alone PostgreSQL walked the
RFM rows of the whole tenant in customer order and threw away every other segment: 99 ms at
a million customers against 2 ms at ten thousand. ``(tenant_id, segment, customer_id)`` hands
it one segment's rows already in page order, so a page reads about as many rows as it shows.
Same for ``last_store_id``. See docs/insights.md, "Scale".

Create Date: 2026-12-01 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WIDENED = (
    ("ix_customer_rfm_tenant_id_segment", "segment"),
    ("ix_customer_rfm_tenant_id_last_store_id", "last_store_id"),
)


def upgrade() -> None:
    for name, column in _WIDENED:
        op.drop_index(name, table_name="customer_rfm")
        op.create_index(f"{name}_customer_id", "customer_rfm", ["tenant_id", column, "customer_id"])


def downgrade() -> None:
    for name, column in _WIDENED:
        op.drop_index(f"{name}_customer_id", table_name="customer_rfm")
        op.create_index(name, "customer_rfm", ["tenant_id", column])
