"""The process-wide objects one app (or worker, or CLI command) is built from.

Kept in one small object handed to ``create_app`` rather than in module globals, so a test
can build two apps side by side without one leaking into the other. It is built whole by
:meth:`Runtime.build`, in dependency order (broker, dispatcher, clock, plugin host, engine,
sessions), and never changed afterwards: every collaborator gets what it needs when it is
made. Only the entry points import it (``create_app``, the CLI, ``pitstop serve``, the
worker and scheduler processes, the API's dependency providers, the test kit); everything
below them receives the collaborators themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dramatiq.broker import Broker
from sqlalchemy.ext.asyncio import AsyncEngine

from pitstop.access.permissions import PermissionTable
from pitstop.clock import SettableClock
from pitstop.db.engine import SessionFactory, create_engine, session_factory
from pitstop.events.outbox import NUDGE_KEY
from pitstop.plugin_host.manager import PluginHost
from pitstop.settings import Settings
from pitstop.tenancy.sealing import Sealer
from pitstop.worker.broker import build_broker
from pitstop.worker.dispatch import Dispatcher


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    """Every session's ``info`` carries the outbox nudge (see :mod:`pitstop.events.outbox`)."""
    broker: Broker
    dispatch: Dispatcher
    plugins: PluginHost
    permissions: PermissionTable
    clock: SettableClock
    """Injected so token expiry, lock-outs and SLA timers are tested without sleeping."""

    @classmethod
    def build(
        cls,
        settings: Settings,
        broker: Broker | None = None,
        *,
        extra_plugins: Sequence[object] = (),
        installed_plugins: bool = True,
        clock: SettableClock | None = None,
        **engine_options: Any,
    ) -> Runtime:
        """``extra_plugins`` are registered after the installed ones (or alone, when
        ``installed_plugins`` is false): how a test runs a plugin that no entry point names.
        ``clock`` defaults to the wall clock; a test kit may pass one reading its own time
        (``SettableClock(kit_clock)``)."""
        broker = broker or build_broker(settings)
        dispatch = Dispatcher(broker)
        clock = clock or SettableClock()
        if installed_plugins:
            plugins = PluginHost.from_entry_points(
                settings.plugins_allow,
                settings.plugins_blocked,
                clock=clock,
                task_sender=dispatch.task,
                message_sender=dispatch.message,
                trace=settings.plugin_trace,
                sealer=Sealer(settings.secret_key),
                link_secret=settings.secret_key,
            )
        else:
            plugins = PluginHost(
                clock=clock,
                task_sender=dispatch.task,
                message_sender=dispatch.message,
                trace=settings.plugin_trace,
                sealer=Sealer(settings.secret_key),
                link_secret=settings.secret_key,
            )
        for plugin in extra_plugins:
            plugins.register(plugin)
        permissions = PermissionTable.core()
        permissions.extend(plugins.permissions())
        return cls._assemble(
            settings, broker, dispatch, plugins, permissions, clock, engine_options
        )

    @classmethod
    def _assemble(
        cls,
        settings: Settings,
        broker: Broker,
        dispatch: Dispatcher,
        plugins: PluginHost,
        permissions: PermissionTable,
        clock: SettableClock,
        engine_options: dict[str, Any],
    ) -> Runtime:
        engine = create_engine(settings.database_url, **engine_options)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine, info={NUDGE_KEY: dispatch.publish}),
            broker=broker,
            dispatch=dispatch,
            plugins=plugins,
            permissions=permissions,
            clock=clock,
        )

    def sibling(self, **engine_options: Any) -> Runtime:
        """The same broker, plugins and clock with an engine of its own (another event loop)."""
        return Runtime._assemble(
            self.settings,
            self.broker,
            self.dispatch,
            self.plugins,
            self.permissions,
            self.clock,
            engine_options,
        )

    async def close(self) -> None:
        await self.engine.dispose()
