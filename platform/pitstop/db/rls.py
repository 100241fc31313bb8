"""The database wall on PostgreSQL: row-level security on every tenant table.

Each tenant table gets ``ENABLE`` + ``FORCE ROW LEVEL SECURITY`` (FORCE so that even the
table owner is filtered) and one policy, ``tenant_isolation``: rows whose ``tenant_id``
equals ``current_setting('pitstop.tenant_id')``, for reads and writes. An unset setting
matches nothing, so forgetting it fails closed.

There is deliberately no second policy the app role could open: the old
``system_discovery`` policy (SELECT across tenants while ``pitstop.system = 'on'``) was a
switch any session of the app role could flip. ``enable_rls`` drops it if a table still
has it; cross-tenant discovery goes through the ``SECURITY DEFINER`` functions of
migration 0005 (see :mod:`pitstop.db.discovery`).

The app connects as a role that owns no table and lacks BYPASSRLS; ``pitstop migrate``
runs as the owner and grants the app role exactly the DML it needs, and EXECUTE on the
discovery functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES = frozenset({"audit_log"})
"""Tables the app role may only INSERT into and SELECT from."""

_TENANT = "NULLIF(current_setting('pitstop.tenant_id', true), '')::uuid"


def rls_statements(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"',
        f'CREATE POLICY tenant_isolation ON "{table}" USING (tenant_id = {_TENANT})'
        f" WITH CHECK (tenant_id = {_TENANT})",
        f'DROP POLICY IF EXISTS system_discovery ON "{table}"',
    ]


def enable_rls(connection: Connection, tables: Iterable[str]) -> None:
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for statement in rls_statements(table):
            connection.execute(text(statement))


def grant_app_role(connection: Connection, app_role: str) -> None:
    """Give the app role DML on every table in ``public`` (append-only where it must be).

    Run by ``pitstop migrate`` after upgrading, so a table added by any migration, core or
    plugin, is usable by the app role without anyone remembering a GRANT.
    """
    if connection.dialect.name != "postgresql":
        return
    role = connection.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname = :r"), {"r": app_role}
    ).scalar()
    if role is None or role == connection.execute(text("SELECT current_user")).scalar():
        return
    quoted = '"' + app_role.replace('"', '""') + '"'
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
    tables = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ).scalars()
    _grant_discovery_functions(connection, quoted)
    for table in tables:
        if table == "alembic_version" or table.startswith("alembic_"):
            connection.execute(text(f'GRANT SELECT ON "{table}" TO {quoted}'))
        elif table in APPEND_ONLY_TABLES:
            connection.execute(text(f'REVOKE UPDATE, DELETE ON "{table}" FROM {quoted}'))
            connection.execute(text(f'GRANT SELECT, INSERT ON "{table}" TO {quoted}'))
        else:
            connection.execute(
                text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {quoted}')
            )


def _grant_discovery_functions(connection: Connection, quoted_role: str) -> None:
    """EXECUTE on the ``pitstop_discover_*`` functions, revoked from PUBLIC at creation."""
    functions = connection.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proname LIKE 'pitstop\\_discover\\_%'"
        )
    ).scalars()
    for function in functions:
        connection.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted_role}"))
