"""HTTP API of the plugin platform: which plugins are installed, on, and how they are set."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, patch, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.errors import NotFound
from pitstop.pagination import Page
from pitstop.plugin_host.enablement import configure_plugin
from pitstop.plugin_host.manager import LoadedPlugin, PluginHost
from pitstop.tenancy.models import TenantPlugin
from pitstop.tenancy.plugin_settings import settings_from_stored, settings_schema


class PluginOut(msgspec.Struct):
    name: str
    title: str
    version: str
    description: str
    enabled: bool
    settings: dict[str, Any]
    settings_schema: dict[str, Any]
    permissions: list[str]
    depends_on: list[str]


class PluginChange(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool
    settings: dict[str, Any] | None = None


class PluginPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Either or both: change settings without restating ``enabled``, or the reverse."""

    enabled: bool | None = None
    settings: dict[str, Any] | None = None


HIDDEN = "********"


def hide_secrets(settings: dict[str, Any]) -> dict[str, Any]:
    """A setting named ``secret`` or ``*_secret`` is write-only: the API says whether it is
    set, never what it is (a signing key read by every ``plugins:read`` role is no key).
    Omit it from a PUT/PATCH to keep it."""
    return {
        k: (HIDDEN if v else "") if k == "secret" or k.endswith("_secret") else v
        for k, v in settings.items()
    }


def plugin_out(loaded: LoadedPlugin, row: TenantPlugin | None) -> PluginOut:
    info = loaded.info
    settings = settings_from_stored(info.settings, row.settings if row else {})
    return PluginOut(
        name=info.name,
        title=info.title,
        version=info.version,
        description=info.description,
        enabled=bool(row and row.enabled),
        settings=hide_secrets(msgspec.to_builtins(settings)),
        settings_schema=settings_schema(info.settings),
        permissions=[p.name for p in info.permissions],
        depends_on=list(info.depends_on),
    )


class PluginsController(Controller):
    path = "/plugins"
    tags = ["plugins"]

    @get("/", opt={"permission": "plugins:read"})
    async def list_plugins(
        self, session: NamedDependency[AsyncSession], plugins: NamedDependency[PluginHost]
    ) -> Page[PluginOut]:
        rows = {r.plugin: r for r in (await session.scalars(select(TenantPlugin))).all()}
        items = [
            plugin_out(loaded, rows.get(name)) for name, loaded in sorted(plugins.plugins.items())
        ]
        return Page(items=items, next=None)

    @get("/{name:str}", opt={"permission": "plugins:read"})
    async def get_plugin(
        self,
        name: FromPath[str],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
    ) -> PluginOut:
        loaded = plugins.plugins.get(name)
        if loaded is None:
            raise NotFound(f"no plugin named {name} is installed", code="unknown_plugin")
        row = (
            await session.scalars(select(TenantPlugin).where(TenantPlugin.plugin == name))
        ).one_or_none()
        return plugin_out(loaded, row)

    @put("/{name:str}", opt={"permission": "plugins:manage"})
    async def configure(
        self,
        name: FromPath[str],
        data: JSONBody[PluginChange],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
        permissions: NamedDependency[PermissionTable],
    ) -> PluginOut:
        """Omitted ``settings`` keep the current ones; given keys are merged over them."""
        row, _ = await configure_plugin(
            session, plugins, permissions, name, enabled=data.enabled, settings=data.settings
        )
        return plugin_out(plugins.plugins[name], row)

    @patch("/{name:str}", opt={"permission": "plugins:manage"})
    async def change(
        self,
        name: FromPath[str],
        data: JSONBody[PluginPatch],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
        permissions: NamedDependency[PermissionTable],
    ) -> PluginOut:
        """Only what is given changes; given settings keys are merged over the current ones."""
        row, _ = await configure_plugin(
            session, plugins, permissions, name, enabled=data.enabled, settings=data.settings
        )
        return plugin_out(plugins.plugins[name], row)
