"""Turning a plugin on or off for a tenant, and changing its settings.

The one path for both ``PUT /api/v1/plugins/{name}`` and a manifest's ``[plugins.<name>]``:
settings are validated against the plugin's schema (every bad field named), dependencies
are checked, the built-in roles pick up the plugin's default grants, the set-up hook runs
once when the plugin goes from off to on, and every change is audited as
``plugin.changed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.permissions import PermissionTable
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import NotFound, Unprocessable
from pitstop.identity.staff import sync_builtin_roles
from pitstop.plugin_host.manager import PluginHost
from pitstop.tenancy.models import TenantPlugin
from pitstop.tenancy.plugin_settings import settings_from_stored, validate_settings


async def configure_plugin(
    session: AsyncSession,
    host: PluginHost,
    permissions: PermissionTable,
    name: str,
    *,
    enabled: bool | None,
    settings: Mapping[str, Any] | None,
) -> tuple[TenantPlugin, list[str]]:
    """Returns the row and a list of human-readable changes (empty: nothing changed).

    ``permissions`` is the table the built-in roles are re-synced from when a plugin
    comes on (its default grants join them)."""
    loaded = host.plugins.get(name)
    if loaded is None:
        raise NotFound(f"no plugin named {name} is installed", code="unknown_plugin")
    rows = {r.plugin: r for r in (await session.scalars(select(TenantPlugin))).all()}
    row = rows.get(name)
    if row is None:
        row = TenantPlugin(plugin=name, enabled=False, settings={})
        session.add(row)
    schema = loaded.info.settings
    opened = host.opened_settings(row) if row.settings else {}
    current = msgspec.to_builtins(settings_from_stored(schema, opened))
    if settings is None:
        stored = current
    else:
        _, stored = validate_settings(schema, current, settings)
    if host.sealer is not None:  # credentials at rest under the tenant's key
        stored = host.sealer.seal_changed(current_tenant_id(), stored, current, row.settings or {})
    was, now = row.enabled, row.enabled if enabled is None else enabled
    _check_dependencies(host, name, now, {n for n, r in rows.items() if r.enabled})
    changes = []
    if now != was:
        changes.append("enabled" if now else "disabled")
    was_stored = row.settings or {}
    changed_keys = sorted(k for k in stored if stored.get(k) != was_stored.get(k))
    if changed_keys:
        changes.append("settings: " + ", ".join(changed_keys))
    row.enabled, row.settings = now, stored
    await session.flush()
    if now and not was:
        await sync_builtin_roles(session, permissions)
        ctx = await host.context(session, name, row=row)
        await host.call_one(name, "on_tenant_enabled", ctx, settings=ctx.settings)
    if changes:
        await record(
            session,
            "plugin.changed",
            resource="plugin",
            resource_id=name,
            detail={"enabled": now, "was_enabled": was, "settings_changed": changed_keys},
        )
    return row, changes


def _check_dependencies(host: PluginHost, name: str, enabled: bool, on: set[str]) -> None:
    plugins = host.plugins
    if enabled:
        missing = [d for d in plugins[name].info.depends_on if d not in on]
        if missing:
            raise Unprocessable.field("enabled", f"enable {', '.join(missing)} first")
    else:
        dependants = sorted(
            n for n in on if n != name and n in plugins and name in plugins[n].info.depends_on
        )
        if dependants and name in on:
            raise Unprocessable.field("enabled", f"{', '.join(dependants)} depend on it")


def manifest_schemas(host: PluginHost) -> dict[str, type[msgspec.Struct]]:
    """What a manifest's ``[plugins.<name>]`` is validated against, before any database work."""
    return {name: p.info.settings for name, p in host.plugins.items()}


def manifest_applier(
    host: PluginHost, permissions: PermissionTable
) -> Callable[[AsyncSession, Any, str, Mapping[str, Any]], Awaitable[list[tuple[str, str]]]]:
    """Apply ``[plugins.<name>]`` through :func:`configure_plugin`, the API's own path."""

    async def apply(
        session: AsyncSession, tenant: Any, name: str, raw: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        settings = dict(raw)
        enabled = bool(settings.pop("enabled", True))
        _, changes = await configure_plugin(
            session, host, permissions, name, enabled=enabled, settings=settings or None
        )
        return [("~", f"plugin {name}: {change}") for change in changes]

    return apply
