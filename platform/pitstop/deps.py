"""The providers every core controller may ask for, registered once by ``create_app``.

A handler names what it needs (``session: NamedDependency[AsyncSession]``,
``clock: NamedDependency[Clock]``) and the assembly point hands it over; no handler or
service reaches for the process-wide :class:`~pitstop.runtime.Runtime` to find its
collaborators itself. The names, and what each one is:

``session``
    the request's transaction: committed when the handler returns, else rolled back.
``sessions``
    the session factory, for work that needs transactions of its own (a failed login is
    counted even though the login's own transaction rolls back).
``settings`` / ``clock`` / ``permissions`` / ``principal``
    the deployment's settings, what tells the time, the permission table with the
    plugins' permissions, and who is calling.
``customer_extensions``
    what plugins add to a customer (profile sections, export, erase): the plugin host,
    typed by the CRM's own protocol so the CRM need not know the host.
``discount_providers``
    what plugins offer against a code on a service order (a voucher): the plugin host,
    typed by the CRM's protocol (:mod:`pitstop.crm.discounts`).
``staff_notices``
    how identity sends a staff member an invite or reset token through the tenant's staff
    channel (:mod:`pitstop.identity.notices`): the plugin host.
``plugins`` / ``dispatch`` / ``event_catalog``
    for the plugin host's own controllers (settings, enablement) and event deliveries: the
    host, what sends broker messages by actor name, the declared event types.
``engine`` / ``broker``
    for the readiness probe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from dramatiq.broker import Broker
from litestar import Request
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.access.principal import Principal
from pitstop.crm.discounts import DiscountProviders
from pitstop.crm.extensions import CustomerExtensions
from pitstop.db.base import Clock
from pitstop.db.engine import READ_ONLY, READS_ONLY, SessionFactory
from pitstop.db.guard import READ_ONLY_SESSION
from pitstop.events.types import EventCatalog
from pitstop.identity.edge import REQUEST_SESSION, current_principal
from pitstop.identity.notices import StaffNotices
from pitstop.insights.kpis import KpiTiles
from pitstop.plugin_host.manager import PluginHost
from pitstop.settings import Settings
from pitstop.worker.dispatch import Dispatcher


def _value(value: Any) -> Provide:
    """A provider of one value built by the assembly, the same for every request."""

    def provide() -> Any:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)


def _session_provider(
    sessions: SessionFactory,
) -> Callable[[Request[Any, Any, Any]], AsyncIterator[AsyncSession]]:
    async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
        """One transaction per request: committed when the handler returns, else rolled back.

        The transaction the edge authenticated in, when it opened one (PostgreSQL): the
        caller's standing and the handler's work are one transaction on one connection.
        A route declaring ``reads_only`` gets a transaction that refuses writes.
        """
        held: AsyncSession | None = request.scope.get("state", {}).get(REQUEST_SESSION)
        reads_only = bool(request.route_handler.opt.get(READS_ONLY))
        if held is None:
            async with sessions() as session, session.begin():
                if reads_only:  # SQLite: begin deferred, not queued behind the writers
                    session.info[READ_ONLY_SESSION] = True
                    await session.connection(execution_options={READ_ONLY: True})
                yield session
            return
        held.info[READ_ONLY_SESSION] = reads_only  # refused alike on both databases
        try:
            yield held
        except BaseException:
            await held.rollback()
            raise
        await held.commit()

    return provide_session


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return current_principal(request)


def dependencies(
    *,
    settings: Settings,
    sessions: SessionFactory,
    clock: Clock,
    permissions: PermissionTable,
    plugins: PluginHost,
    dispatch: Dispatcher,
    engine: AsyncEngine,
    broker: Broker,
    event_catalog: EventCatalog,
) -> dict[str, Provide]:
    customer_extensions: CustomerExtensions = plugins
    discount_providers: DiscountProviders = plugins
    kpi_tiles: KpiTiles = plugins
    staff_notices: StaffNotices = plugins
    given: dict[str, Any] = {
        "sessions": sessions,
        "settings": settings,
        "clock": clock,
        "permissions": permissions,
        "customer_extensions": customer_extensions,
        "discount_providers": discount_providers,
        "kpi_tiles": kpi_tiles,
        "staff_notices": staff_notices,
        "plugins": plugins,
        "dispatch": dispatch,
        "engine": engine,
        "broker": broker,
        "event_catalog": event_catalog,
    }
    return {
        "session": Provide(_session_provider(sessions)),
        "principal": Provide(provide_principal, sync_to_thread=False),
        **{name: _value(value) for name, value in given.items()},
    }
