"""Plugin pages inside the console: mounted, guarded, translated and masked like core pages.

Each plugin that answers ``console_pages()`` gets a router at ``/console/<plugin>/`` inside
the console's router, so the session cookie, CSRF, the security headers and the error pages
are the core's without the plugin doing anything. The "enabled for this tenant" guard and
the ``ctx`` dependency are the plugin API routes' own (``plugin_host.routing``), and so are
the words of a refusal on an error page (``PluginInfo.messages``); ``page`` renders
through :meth:`Desk.plugin_page`, the one place plugin values are masked.
"""

from __future__ import annotations

from typing import Any, cast

from jinja2 import BaseLoader, FileSystemLoader, PrefixLoader
from litestar import Request, Router
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.access.route_access import PLUGIN_KEY
from pitstop.console.view import Desk
from pitstop.db.engine import SessionFactory
from pitstop.plugin_host.console_hooks import ConsolePage
from pitstop.plugin_host.context import PluginContext
from pitstop.plugin_host.manager import PluginHost
from pitstop.plugin_host.routing import context_provider, enabled_guard
from pitstop.wording import WORDING_KEY, OwnMessages


def plugin_page_routers(host: PluginHost, sessions: SessionFactory) -> list[Router]:
    routers = []
    for name, loaded in host.plugins.items():
        if loaded.console is None or not loaded.console.handlers:
            continue
        routers.append(
            Router(
                path=f"/{name}",
                route_handlers=list(loaded.console.handlers),
                guards=[enabled_guard(name, sessions, host.clock)],
                dependencies={
                    "ctx": Provide(_context_after_desk(name, host)),
                    "page": Provide(_page_provider(name), sync_to_thread=False),
                },
                opt={PLUGIN_KEY: name, WORDING_KEY: OwnMessages(loaded.info.messages)},
                include_in_schema=False,
            )
        )
    return routers


def _context_after_desk(plugin: str, host: PluginHost) -> Any:
    """The API routes' ``ctx``, resolved after ``desk``: Litestar resolves independent
    dependencies concurrently, and both read the request's one session."""
    provide = context_provider(plugin, host)

    async def provide_ctx(
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
    ) -> PluginContext:
        return cast(PluginContext, await provide(session, principal, request))

    return provide_ctx


def _page_provider(plugin: str) -> Any:
    def provide_page(desk: NamedDependency[Desk]) -> ConsolePage:
        return ConsolePage(plugin, desk.plugin_page)

    return provide_page


def plugin_templates(host: PluginHost | None) -> BaseLoader:
    """``<plugin>/<file>`` for each plugin's template directory."""
    directories: dict[str, BaseLoader] = {}
    for name, loaded in host.plugins.items() if host is not None else ():
        if loaded.console is not None and loaded.console.templates is not None:
            directories[name] = FileSystemLoader(loaded.console.templates)
    return PrefixLoader(directories)
