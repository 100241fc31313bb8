"""Cross-tenant discovery: the few questions asked across tenants, answered with ids only.

The relay sweep asks which events and deliveries were left behind, the scheduler which
tenants run a plugin in a time zone, API-key login which tenant a key's public prefix
belongs to. Each answer is a list of ids; the work itself then runs in a tenant scope.

On PostgreSQL the app role cannot read across tenants at all: row-level security has no
switch it could flip (the old ``pitstop.system`` policy was one). Each question is a
``SECURITY DEFINER`` function created by migration 0005, owned by the migration role and
readable only through its fixed query; the app role may EXECUTE it, nothing more. Embedded
SQLite has no RLS and no functions: the same question runs in-process as an ORM query
inside ``system_scope()``, which the ORM wall lets through for reads there only.

The two forms of each question live side by side in the caller (``fallback`` here, the
SQL in the migration); the relay, scheduler and API-key tests run on both databases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, Uuid, column, text
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.tenant_context import system_scope

UNPUBLISHED_EVENTS = "pitstop_discover_unpublished_events"
STALE_DELIVERIES = "pitstop_discover_stale_deliveries"
TENANTS_RUNNING = "pitstop_discover_tenants_running"
API_KEYS_BY_PREFIX = "pitstop_discover_api_keys"

Ids = TypeVarTuple("Ids")


async def discover(
    session: AsyncSession,
    function: str,
    arguments: Mapping[str, Any],
    *,
    fallback: Select[*Ids],
    reason: str,
) -> Sequence[Row[*Ids]]:
    """Ask ``function`` on PostgreSQL, or run ``fallback`` in ``system_scope(reason)``.

    ``fallback`` selects the id columns the function returns, by the same names: discovery
    answers with ids, never with a row's other fields.
    """
    if session.get_bind().dialect.name == "postgresql":
        return (await session.execute(_call(function, arguments, fallback))).all()
    with system_scope(reason):
        return (await session.execute(fallback)).all()


def _call(function: str, arguments: Mapping[str, Any], fallback: Select[*Ids]) -> Any:
    """``SELECT tenant_id, id FROM f(a => :a, ...)``: named arguments, uuid columns."""
    names = [str(c.key) for c in fallback.selected_columns]
    named = ", ".join(f"{name} => :{name}" for name in arguments)
    columns = [column(name, Uuid) for name in names]
    return (
        text(f"SELECT {', '.join(names)} FROM {function}({named})")
        .bindparams(**arguments)
        .columns(*columns)
    )
