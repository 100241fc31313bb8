"""Request-scoped dependencies shared by every domain's controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.events.types import EventCatalog
from pitstop.hooks.event_types import catalog_of
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


def provide_event_catalog(state: State) -> EventCatalog:
    runtime: Runtime = state.runtime
    return catalog_of(runtime.plugins.plugins)


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return current_principal(request)


DEPENDENCIES = {
    "session": Provide(provide_session),
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "event_catalog": Provide(provide_event_catalog, sync_to_thread=False),
}
