"""core: cross-tenant discovery through SECURITY DEFINER functions, no switch for the app role

Revision ID: 0005
Revises: 0004
Until now every tenant table had a ``system_discovery`` policy: SELECT across tenants when
``pitstop.system = 'on'``, a setting the app role could flip with one ``SET``. This
revision drops that policy from every table that has it (core and plugin tables alike,
found in ``pg_policies``) and gives discovery a narrower door:

* one function per question (unpublished events, stale deliveries, tenants running a
  plugin in a time zone, API keys by public prefix), ``SECURITY DEFINER`` and owned by the
  migration role, returning ids only; EXECUTE is revoked from PUBLIC and granted to the
  app role by ``pitstop migrate`` (``pitstop.db.rls.grant_app_role``);
* an ``owner_discovery`` SELECT policy on the four tables they read, ``TO`` the migration
  role only, open while ``pitstop.discovery = 'on'`` - which each function sets around its
  one query (PostgreSQL 15 lets only a superuser put a custom setting in a function's
  ``SET`` clause, so the body sets and clears it; an error aborts the statement, and a
  rolled-back savepoint reverts the setting). The app role is not the migration role, so
  no setting it changes opens a row of another tenant.

See docs/security/database-walls.md. SQLite has no RLS: nothing to do there.

Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DISCOVERED_TABLES = ("outbox_events", "event_deliveries", "tenant_plugins", "api_keys")

_PREAMBLE = "LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public"
_BODY = """
#variable_conflict use_column
BEGIN
    PERFORM set_config('pitstop.discovery', 'on', true);
    RETURN QUERY {query};
    PERFORM set_config('pitstop.discovery', '', true);
END
"""

FUNCTIONS = {
    "pitstop_discover_unpublished_events(occurred_before timestamptz, batch integer)": (
        "TABLE (tenant_id uuid, id uuid)",
        "SELECT e.tenant_id, e.id FROM public.outbox_events e"
        " WHERE e.published_at IS NULL AND e.occurred_at < occurred_before"
        " ORDER BY e.occurred_at LIMIT batch",
    ),
    "pitstop_discover_stale_deliveries("
    "pending_before timestamptz, retrying_before timestamptz, batch integer)": (
        "TABLE (tenant_id uuid, id uuid)",
        "SELECT d.tenant_id, d.id FROM public.event_deliveries d"
        " WHERE (d.status = 'pending' AND d.updated_at < pending_before)"
        " OR (d.status = 'retrying' AND d.updated_at < retrying_before)"
        " LIMIT batch",
    ),
    "pitstop_discover_tenants_running(plugin_name text, zone text)": (
        "TABLE (tenant_id uuid)",
        "SELECT p.tenant_id FROM public.tenant_plugins p"
        " JOIN public.tenants t ON t.id = p.tenant_id"
        " WHERE p.plugin = plugin_name AND p.enabled AND t.timezone = zone"
        " AND t.status = 'active'",
    ),
    "pitstop_discover_api_keys(key_prefix text)": (
        "TABLE (tenant_id uuid, id uuid)",
        "SELECT k.tenant_id, k.id FROM public.api_keys k WHERE k.prefix = key_prefix",
    ),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in _tables_with_policy("system_discovery"):
        op.execute(f'DROP POLICY system_discovery ON "{table}"')
    for table in DISCOVERED_TABLES:
        op.execute(
            f'CREATE POLICY owner_discovery ON "{table}" FOR SELECT TO CURRENT_USER'
            " USING (current_setting('pitstop.discovery', true) = 'on')"
        )
    for signature, (returns, body) in FUNCTIONS.items():
        source = _BODY.format(query=body)
        op.execute(f"CREATE FUNCTION {signature} RETURNS {returns} {_PREAMBLE} AS $${source}$$")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for table in DISCOVERED_TABLES:
        op.execute(f'DROP POLICY IF EXISTS owner_discovery ON "{table}"')
    for table in _tables_with_policy("tenant_isolation"):
        op.execute(
            f'CREATE POLICY system_discovery ON "{table}" FOR SELECT'
            " USING (current_setting('pitstop.system', true) = 'on')"
        )


def _tables_with_policy(policy: str) -> list[str]:
    rows = op.get_bind().execute(
        text(
            "SELECT tablename FROM pg_policies WHERE schemaname = 'public'"
            " AND policyname = :policy ORDER BY tablename"
        ),
        {"policy": policy},
    )
    return list(rows.scalars())
