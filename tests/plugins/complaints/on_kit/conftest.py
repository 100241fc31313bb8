"""The complaints API tests on ``pitstop.testing``.

``desk`` here is the parent conftest's :class:`Desk` with its plumbing on the test kit:
the complaints plugin (with the fast SLA policies) and the ``tiers`` stand-in enabled for
a fresh tenant with the demo chain's stores, the kit's clock for the runtime's, and the
kit's context for the worker's. The test bodies are unchanged and run on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import pitstop_complaints
from pitstop.sdk import PluginContext
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.complaints import tiers
from tests.plugins.complaints.conftest import FAST, MONDAY_10, Desk
from tests.support.kit import DEMO_STORES, KitCrm, server_database

__all__ = ["server_database"]


class KitDesk(Desk):
    app: PluginApp

    def at(self, moment: dt.datetime) -> dt.datetime:
        self.now[0] = self.app.clock.set(moment)
        return moment

    @asynccontextmanager
    async def context(self) -> AsyncIterator[PluginContext]:
        async with self.app.context("complaints") as ctx:
            yield ctx

    async def count_events(self, type: str) -> int:
        return len(await self.app.events(type))


@pytest.fixture
async def desk(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[Desk]:
    """Complaints on (FAST policies) with the tiers stand-in, Monday 23 November, 10:00."""
    tiers.TIERS.clear()
    async with plugin_app(
        pitstop_complaints,
        tiers,
        settings=FAST,
        stores=DEMO_STORES,
        start=MONDAY_10,
        directory=tmp_path,
        **server_database,
    ) as app:
        helper = KitDesk(KitCrm.of(app))
        helper.app = app
        yield helper
    tiers.TIERS.clear()
