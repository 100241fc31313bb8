"""Request-scoped dependencies shared by every domain's controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.identity.edge import current_principal
from pitstop.identity.principal import Principal
from pitstop.runtime import Runtime


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


def _runtime_part(name: str) -> Provide:
    """A provider of one of the runtime's collaborators, read from the app's state."""

    def provide(state: State) -> Any:
        return getattr(state.runtime, name)

    return Provide(provide, sync_to_thread=False)


DELIVERY_DEPENDENCIES = {
    name: _runtime_part(name) for name in ("plugins", "permissions", "dispatch", "engine", "broker")
}
# -- end of the plugin host and delivery's collaborators ------------------------------

DEPENDENCIES = {
    "session": Provide(provide_session),
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    **DELIVERY_DEPENDENCIES,
}
