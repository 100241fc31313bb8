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
from pitstop.settings import Settings
from pitstop.worker.broker import build_broker


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    broker: Broker
    permissions: PermissionTable = field(default_factory=PermissionTable.core)
    clock: Callable[[], dt.datetime] = utcnow
    """Injected so token expiry, lock-outs and SLA timers are tested without sleeping."""

    @classmethod
    def build(
        cls, settings: Settings, broker: Broker | None = None, **engine_options: Any
    ) -> Runtime:
        engine = create_engine(settings.database_url, **engine_options)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            broker=broker or build_broker(settings),
        )

    async def close(self) -> None:
        await self.engine.dispose()
