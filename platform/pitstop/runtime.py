"""The process-wide objects one app (or worker, or CLI command) is built from.

Kept in one small object handed to ``create_app`` rather than in module globals, so a test
can build two apps side by side without one leaking into the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dramatiq.broker import Broker
from sqlalchemy.ext.asyncio import AsyncEngine

from pitstop.access.permissions import PermissionTable
from pitstop.db.base import utcnow
from pitstop.db.engine import SessionFactory, create_engine, session_factory
from pitstop.events.outbox import NUDGE_KEY
from pitstop.hooks.manager import PluginHost
from pitstop.settings import Settings
from pitstop.worker.broker import build_broker
from pitstop.worker.dispatch import Dispatcher


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    broker: Broker
    plugins: PluginHost = field(default_factory=PluginHost)
    permissions: PermissionTable = field(default_factory=PermissionTable.core)
    clock: Callable[[], dt.datetime] = utcnow
    """Injected so token expiry, lock-outs and SLA timers are tested without sleeping."""

    def __post_init__(self) -> None:
        self.plugins.clock = lambda: self.clock()
        self.permissions.extend(self.plugins.permissions())
        self.dispatch = Dispatcher(self.broker)
        self.plugins.task_sender = self.dispatch.task
        self.sessions.kw.setdefault("info", {})[NUDGE_KEY] = self.dispatch.publish

    @classmethod
    def build(
        cls,
        settings: Settings,
        broker: Broker | None = None,
        plugins: PluginHost | None = None,
        **engine_options: Any,
    ) -> Runtime:
        engine = create_engine(settings.database_url, **engine_options)
        if plugins is None:
            plugins = PluginHost.from_entry_points(
                settings.plugins_allow, settings.plugins_blocked, trace=settings.plugin_trace
            )
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            broker=broker or build_broker(settings),
            plugins=plugins,
        )

    def sibling(self, **engine_options: Any) -> Runtime:
        """The same broker and plugins with an engine of its own (another event loop)."""
        return Runtime.build(
            self.settings, broker=self.broker, plugins=self.plugins, **engine_options
        )

    async def close(self) -> None:
        await self.engine.dispose()
