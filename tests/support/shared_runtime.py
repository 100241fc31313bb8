"""One runtime and one app per test process and database, given back clean to every test.

Building the app (every handler's signature, dependencies and routes) was the largest
single cost of the suite, paid again by each of ~2,000 tests. What a test may change is
small and known, so the default ``runtime`` and ``app`` fixtures share one of each per
backend and put it back before every test:

* the database: SQLite's file rewritten from the migrated template with SQLite's backup
  API (so a leftover write-ahead log cannot replay into it), PostgreSQL truncated;
* the clock: back to the wall clock;
* the broker: every queue flushed, and attributes a test set on the instance (a spy on
  ``enqueue``) removed;
* logging: configured again from the runtime's settings.

Nothing else in a runtime or app holds state between requests (the plugin host's callers
and the permission table are fixed when it is built; sessions are not pooled), which
tests/unit/test_shared_runtime.py checks. A test that needs other settings or plugins
builds its own runtime, as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dramatiq.brokers.stub import StubBroker
from litestar import Litestar
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.db.base import utcnow
from pitstop.logs import configure_logging
from pitstop.runtime import Runtime
from pitstop.settings import Settings


def rewrite_sqlite(template: Path, target: Path) -> None:
    """``target`` becomes page for page the template, through SQLite itself."""
    source, destination = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


class Shared:
    """The runtime and app of one settings object, with what a test may leave behind."""

    def __init__(self, settings: Settings) -> None:
        # NullPool: the test client runs the app on its own event loop, and a pooled
        # connection must never cross loops (nor outlive the database it was opened on).
        self.runtime = Runtime.build(settings, poolclass=NullPool)
        self._app: Litestar | None = None
        self._broker_attributes = set(vars(self.runtime.broker))

    @property
    def app(self) -> Litestar:
        if self._app is None:
            self._app = create_app(runtime=self.runtime)
        configure_logging(self.runtime.settings)  # another test's app may have changed it
        return self._app

    def reset(self) -> None:
        self.runtime.clock.set(utcnow)
        broker = self.runtime.broker
        if isinstance(broker, StubBroker):
            broker.flush_all()
        for name in set(vars(broker)) - self._broker_attributes:
            delattr(broker, name)


class SharedRuntimes:
    """Per test process: one :class:`Shared` for each of the suite's own settings objects
    (the SQLite file's and the PostgreSQL database's); any other settings get a runtime of
    their own, built for the test and closed after it, as before."""

    def __init__(self) -> None:
        self._by_settings: dict[int, tuple[Settings, Shared]] = {}

    def share(self, settings: Settings) -> None:
        if id(settings) not in self._by_settings:
            self._by_settings[id(settings)] = (settings, Shared(settings))

    def runtime(self, settings: Settings) -> Runtime | None:
        """The shared runtime of ``settings``, made clean; None when it is not shared."""
        entry = self._by_settings.get(id(settings))
        if entry is None:
            return None
        entry[1].reset()
        return entry[1].runtime

    def app(self, runtime: Runtime) -> Litestar | None:
        """The shared app of a shared runtime; None for a runtime a test built itself."""
        for _, shared in self._by_settings.values():
            if shared.runtime is runtime:
                return shared.app
        return None

    async def close(self) -> None:
        for _, shared in self._by_settings.values():
            await shared.runtime.close()
