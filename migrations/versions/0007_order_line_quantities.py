"""core: order line quantities and discounts

Revision ID: 0007
Revises: 0003
Line quantities become exact decimals (``NUMERIC(12, 3)``: 4.5 L of oil, 1.5 h of labour)
and service orders get ``discount_total`` for discount lines. A discount is a new value of
the ``line_kind`` column, which is a plain string checked by the app: no DDL for it.

Downgrading is refused while any line holds what the older schema cannot: a fractional
quantity (rounding it would change an invoice) or a discount (older code cannot read it).

Create Date: 2026-11-30 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINES = "service_order_lines"


def upgrade() -> None:
    # SQLite cannot change a column's type: batch mode copies the table (nothing refers to
    # the lines, so the copy is safe with foreign keys on).
    with op.batch_alter_table(LINES) as batch:
        batch.alter_column(
            "quantity",
            existing_type=sa.Integer(),
            type_=sa.Numeric(12, 3),
            existing_nullable=False,
            postgresql_using="quantity::numeric(12, 3)",
        )
    # A plain ADD COLUMN on both databases: service_orders is referenced by lines and
    # odometer readings, so it must never be copied and dropped.
    op.add_column(
        "service_orders",
        sa.Column("discount_total", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    blocked = _lines_the_old_schema_cannot_hold()
    if blocked:
        raise RuntimeError(
            f"cannot downgrade below 0007: {blocked} service order lines have a fractional "
            "quantity or are discounts, which the older schema cannot hold without changing "
            "invoices"
        )
    op.drop_column("service_orders", "discount_total")
    with op.batch_alter_table(LINES) as batch:
        batch.alter_column(
            "quantity",
            existing_type=sa.Numeric(12, 3),
            type_=sa.Integer(),
            existing_nullable=False,
            postgresql_using="quantity::integer",
        )


def _lines_the_old_schema_cannot_hold() -> int:
    """Counted over every tenant. On PostgreSQL the owner is filtered by FORCE'd row-level
    security like anyone else, so it is lifted for this one statement inside the migration's
    transaction (and restored before anything else runs, or rolled back with it)."""
    bind = op.get_bind()
    count = sa.text(
        f"SELECT count(*) FROM {LINES} WHERE kind = 'discount' OR quantity <> floor(quantity)"
    )
    if bind.dialect.name != "postgresql":
        return int(bind.execute(count).scalar() or 0)
    bind.execute(sa.text(f"ALTER TABLE {LINES} NO FORCE ROW LEVEL SECURITY"))
    try:
        return int(bind.execute(count).scalar() or 0)
    finally:
        bind.execute(sa.text(f"ALTER TABLE {LINES} FORCE ROW LEVEL SECURITY"))
