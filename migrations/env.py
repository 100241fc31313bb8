"""Alembic environment: async engine as the owner role, then grants for the app role."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from alembic import context
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, inspect, text
from sqlalchemy.engine import Connection, make_url

from pitstop.bootstrap.models import load_models
from pitstop.db.base import UTCDateTime
from pitstop.db.engine import create_engine
from pitstop.db.rls import grant_app_role
from pitstop.settings import Settings

config = context.config
target_metadata = load_models()


def _settings() -> Settings:
    settings = config.attributes.get("settings")
    return settings if isinstance(settings, Settings) else Settings.from_env()


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy ones: migrations must not import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, JSON):
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def _run(connection: Connection, settings: Settings) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        on_version_apply=_note_applied,
    )
    with context.begin_transaction():
        parked = _park_uninstalled_heads(connection)
        context.run_migrations()
        _restore_parked_heads(connection, parked)
        app_role = make_url(settings.database_url).username
        if app_role:
            grant_app_role(connection, app_role)


def _note_applied(*, step: Any, **_: Any) -> None:
    """Collect ``core 0003_core_crm`` lines for ``pitstop migrate`` to print (upgrades only:
    a downgrade step has no ``down_revision`` to name)."""
    if not step.is_upgrade:
        return
    revision = step.up_revision
    label = ",".join(sorted(revision.branch_labels)) or "core"
    stem = Path(revision.path).stem
    config.attributes.setdefault("applied", []).append(f"{label} {stem}")


def _park_uninstalled_heads(connection: Connection) -> list[str]:
    """Set aside the version rows of plugins no longer installed.

    Uninstalling a plugin leaves its tables and data untouched, and its head in
    ``alembic_version``; Alembic would refuse to upgrade past a revision it cannot locate.
    The rows are removed for the run and put back after it, so reinstalling the plugin
    later continues from where it was.
    """
    if not inspect(connection).has_table("alembic_version"):
        return []
    known = {r.revision for r in ScriptDirectory.from_config(config).walk_revisions()}
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    parked = [r for r in rows if r not in known]
    for revision in parked:
        connection.execute(
            text("DELETE FROM alembic_version WHERE version_num = :r"), {"r": revision}
        )
    return parked


def _restore_parked_heads(connection: Connection, parked: list[str]) -> None:
    for revision in parked:
        connection.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision}
        )


async def _run_online(settings: Settings) -> None:
    engine = create_engine(settings.migration_database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, settings)
            await connection.commit()
    finally:
        await engine.dispose()


def run() -> None:
    settings = _settings()
    if context.is_offline_mode():
        context.configure(url=settings.migration_database_url, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, settings)
    else:
        asyncio.run(_run_online(settings))


run()
