"""The membership tests that need only the plugin and the public API, on ``pitstop.testing``.

``club`` here is the parent conftest's :class:`Club` with its plumbing on the test kit: the
kit's fresh tenant has the demo chain's stores and one staff member per role, the kit's
queue stands in for the worker (``drain()``), and the kit's clock for the runtime's. The
test bodies are unchanged, and run on both databases as before: the kit's own SQLite file,
and the suite's PostgreSQL server handed to the kit.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import pitstop_membership
from pitstop.sdk import PluginContext
from pitstop.settings import Settings
from pitstop.testing import PluginApp, plugin_app
from tests.crm.conftest import Crm
from tests.plugins.membership.conftest import Club, local
from tests.support.demo import TENANTS_DIR

STORES = tomllib.loads((TENANTS_DIR / "demo-chain.toml").read_text("utf-8"))["stores"]
"""The demo chain's stores (SH001 first: the store-scoped roles work there)."""


class KitDemo:
    """What :class:`Crm` and :class:`Club` ask of the demo: a client and role headers."""

    def __init__(self, app: PluginApp) -> None:
        self.app, self.client = app, app.http
        self.tokens: dict[Any, str] = {}  # the kit renews tokens by its clock itself

    async def headers(self, role: str = "hq_admin") -> dict[str, str]:
        return await self.app.client(role).headers()


class KitCrm(Crm):
    app: PluginApp

    async def events(self, type: str) -> list[dict[str, Any]]:
        return await self.app.events(type)


class KitClub(Club):
    app: PluginApp

    def at(self, when: dt.datetime) -> None:
        self.app.clock.set(when)

    @asynccontextmanager
    async def context(self) -> AsyncIterator[PluginContext]:
        async with self.app.context("membership") as ctx:
            yield ctx


@pytest.fixture
def server_database(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """Nothing on SQLite (the kit's own file); an emptied PostgreSQL database otherwise."""
    if backend == "sqlite":
        return {}
    settings: Settings = request.getfixturevalue("settings")
    return {
        "database_url": settings.database_url,
        "migration_url": settings.migration_database_url,
    }


@pytest.fixture
async def club(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[Club]:
    """The plugin on (default settings) for a fresh chain at 10 March 2026, 10:00."""
    start = local(2026, 3, 10, 10, 0)
    async with plugin_app(
        pitstop_membership, stores=STORES, start=start, directory=tmp_path, **server_database
    ) as app:
        crm = KitCrm(KitDemo(app), dict(app.stores), app.tenant_id)  # type: ignore[arg-type]
        crm.app = app
        helper = KitClub(crm, app.drain)
        helper.app = app
        yield helper
