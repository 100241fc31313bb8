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


# -- the plugin host and delivery's collaborators (layers-assembly) --------------------
# Handlers above the domains (plugin settings, event deliveries, probes) declare these by
# name instead of reaching into the runtime.


def provide_plugins(state: State) -> PluginHost:
    runtime: Runtime = state.runtime
    return runtime.plugins


def provide_permissions(state: State) -> PermissionTable:
    runtime: Runtime = state.runtime
    return runtime.permissions


def provide_dispatch(state: State) -> Dispatcher:
    runtime: Runtime = state.runtime
    return runtime.dispatch


def provide_engine(state: State) -> AsyncEngine:
    runtime: Runtime = state.runtime
    return runtime.engine


def provide_broker(state: State) -> Broker:
    runtime: Runtime = state.runtime
    return runtime.broker


DELIVERY_DEPENDENCIES = {
    "plugins": Provide(provide_plugins, sync_to_thread=False),
    "permissions": Provide(provide_permissions, sync_to_thread=False),
    "dispatch": Provide(provide_dispatch, sync_to_thread=False),
    "engine": Provide(provide_engine, sync_to_thread=False),
    "broker": Provide(provide_broker, sync_to_thread=False),
}
# -- end of the plugin host and delivery's collaborators ------------------------------

DEPENDENCIES = {
    "session": Provide(provide_session),
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    **DELIVERY_DEPENDENCIES,
}
