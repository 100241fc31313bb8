"""Request-scoped dependencies shared by every domain's controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dramatiq.broker import Broker
from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.hooks.manager import PluginHost
from pitstop.identity.edge import current_principal
from pitstop.identity.principal import Principal
from pitstop.runtime import Runtime
from pitstop.worker.dispatch import Dispatcher


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    runtime: Runtime = state.runtime
    async with runtime.sessions() as session, session.begin():
        yield session


def provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return current_principal(request)


# -- the plugin host's and delivery's collaborators (layers-assembly) -----------------
# Handlers above the domains (plugin settings, event deliveries, probes) declare these by
# name instead of reaching into the runtime; create_app gives the values.


def _given(value: Any) -> Provide:
    """A provider of one value the assembly built, the same for every request."""

    def provide() -> Any:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)


def delivery_dependencies(
    *,
    plugins: PluginHost,
    permissions: PermissionTable,
    dispatch: Dispatcher,
    engine: AsyncEngine,
    broker: Broker,
) -> dict[str, Provide]:
    """``plugins`` the host, ``permissions`` the table built-in roles are synced from,
    ``dispatch`` what sends broker messages by actor name; ``engine`` and ``broker`` for the
    readiness probe."""
    given = {
        "plugins": plugins,
        "permissions": permissions,
        "dispatch": dispatch,
        "engine": engine,
        "broker": broker,
    }
    return {name: _given(value) for name, value in given.items()}


# -- end of the plugin host's and delivery's collaborators -----------------------------

DEPENDENCIES = {
    "session": Provide(provide_session),
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
}
