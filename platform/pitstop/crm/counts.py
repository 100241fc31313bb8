"""Counters kept by adding deltas: the one upsert the rollups, visit links, store groups
and retention's running sums share.

Each of those tables holds counts under a natural key. A write adds to a row, creating it
first, in one ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``: atomic under
concurrent completions (no read-modify-write race), and a single statement compiled once
and executed for every row, which the driver batches. Both dialects spell it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.base import TenantModel


async def add(
    session: AsyncSession,
    model: type[TenantModel],
    key: Sequence[str],
    counted: Sequence[str],
    rows: list[dict[str, Any]],
) -> None:
    """Add each row's ``counted`` columns to the row with its ``key`` (a unique constraint's
    columns), inserting the row as given when there is none yet."""
    if not rows:
        return
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model)
    table = model.__table__
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: table.c[name] + statement.excluded[name] for name in counted},
        ),
        rows,
    )
