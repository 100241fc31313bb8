"""The membership tests that need only the plugin and the public API, on ``pitstop.testing``.

``club`` here is the parent conftest's :class:`Club` with its plumbing on the test kit: the
kit's fresh tenant has the demo chain's stores and one staff member per role, the kit's
queue stands in for the worker (``drain()``), and the kit's clock for the runtime's. The
test bodies are unchanged, and run on both databases as before: the kit's own SQLite file,
and the suite's PostgreSQL server handed to the kit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import pitstop_membership
from pitstop.sdk import PluginContext
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.membership.conftest import Club, local
from tests.support.kit import DEMO_STORES, KitCrm, server_database

__all__ = ["server_database"]


class KitClub(Club):
    app: PluginApp

    def at(self, when: dt.datetime) -> None:
        self.app.clock.set(when)

    @asynccontextmanager
    async def context(self) -> AsyncIterator[PluginContext]:
        async with self.app.context("membership") as ctx:
            yield ctx


@pytest.fixture
async def club(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[Club]:
    """The plugin on (default settings) for a fresh chain at 10 March 2026, 10:00."""
    start = local(2026, 3, 10, 10, 0)
    async with plugin_app(
        pitstop_membership, stores=DEMO_STORES, start=start, directory=tmp_path, **server_database
    ) as app:
        helper = KitClub(KitCrm.of(app), app.drain)
        helper.app = app
        yield helper
