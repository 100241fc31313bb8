"""Mounting plugin routes: ``/api/v1/<plugin>/``, guarded by enablement and permissions.

The "enabled for this tenant" guard runs before the permission guard, so a tenant that has
not turned the plugin on learns nothing about its routes but ``plugin_disabled``.
Handlers get a :class:`~pitstop.plugin_host.context.PluginContext` bound to the request's
transaction and principal as ``ctx``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.links import count_link_use
from pitstop.access.principal import Principal
from pitstop.access.route_access import PLUGIN_KEY, Access, route_access
from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.errors import NotFound
from pitstop.identity.edge import permission_guard
from pitstop.plugin_host.context import PluginContext
from pitstop.plugin_host.manager import PluginHost
from pitstop.tenancy.models import TenantPlugin
from pitstop.wording import WORDING_KEY, OwnMessages

_ROW_KEY = "pitstop_plugin_row"
"""The guard's row (enabled, settings) handed to the context: one read per request."""


def plugin_routers(host: PluginHost, sessions: SessionFactory) -> list[Router]:
    """One router per plugin with routes; the guard reads enablement with ``sessions`` (its
    own short transaction, before the request's is opened)."""
    return [
        _router(name, loaded.routes, host, sessions)
        for name, loaded in host.plugins.items()
        if loaded.routes
    ]


def _router(name: str, handlers: list[Any], host: PluginHost, sessions: SessionFactory) -> Router:
    return Router(
        path=f"/api/v1/{name}",
        route_handlers=handlers,
        guards=[enabled_guard(name, sessions, host.clock), permission_guard],
        dependencies={"ctx": Provide(context_provider(name, host))},
        tags=[name],
        opt={PLUGIN_KEY: name, WORDING_KEY: OwnMessages(host.plugins[name].info.messages)},
    )


def enabled_guard(name: str, sessions: SessionFactory, clock: Clock) -> Any:
    """404 ``plugin_disabled`` unless the tenant has ``name`` on (the console's plugin pages
    use the same guard)."""

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        principal: Principal | None = connection.scope.get("user")
        if principal is None or principal.tenant_id is None:
            permission_guard(connection, handler)  # 401 / 403 as for any core route
            return
        async with sessions() as session:
            row = (
                await session.scalars(select(TenantPlugin).where(TenantPlugin.plugin == name))
            ).one_or_none()
        if row is None or not row.enabled:
            raise NotFound(f"the {name} plugin is off for this tenant", code="plugin_disabled")
        connection.scope.setdefault("state", {})[_ROW_KEY] = row  # read once per request
        if route_access(handler).access is Access.link:
            async with sessions() as session, session.begin():
                await count_link_use(session, principal.actor_id, clock())

    return guard


def context_provider(name: str, host: PluginHost) -> Any:
    """The ``ctx`` dependency of ``name``'s handlers, bound to the request's transaction."""

    async def provide_ctx(
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> PluginContext:
        row = request.scope.get("state", {}).get(_ROW_KEY)
        return await host.context(session, name, principal=principal, row=row)

    return provide_ctx
