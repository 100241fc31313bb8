"""Models and migrations agree: autogenerate finds nothing to do, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from pitstop.bootstrap.models import load_models
from pitstop.db.engine import create_engine
from pitstop.settings import Settings


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, load_models()))


async def test_autogenerate_finds_no_difference(settings: Settings) -> None:
    # Given a database migrated with `pitstop migrate`
    engine = create_engine(settings.migration_database_url)
    # When alembic compares it with the models
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    await engine.dispose()
    # Then there is no difference
    assert diff == []
