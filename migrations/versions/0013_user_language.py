"""identity: the console language a person chose, kept with them

Revision ID: 0013
Revises: 0012
``users.language`` (``zh_CN``, ``en``; null: the console's default, Chinese) is set when
a signed-in person switches the console's language and read when they sign in, so the
choice follows the person to another browser (docs/console.md, "Language").

Create Date: 2026-11-30 19:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "language")
