"""Plugin tests on ``pitstop.testing``: the suite's side of handing the kit a database,
and the slice of the demo fixtures the first-party plugins' helpers were written against.

The helpers (``Crm``, membership's ``Club``, complaints' ``Desk``) call the API through
``demo.client`` with ``demo.headers(role)``; :class:`KitDemo` answers both from the kit,
so the same helpers and test bodies run on the kit's tenant instead of the demo chain.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from pitstop.settings import Settings
from pitstop.testing import PluginApp
from tests.crm.conftest import Crm
from tests.support.demo import TENANTS_DIR

DEMO_STORES: list[dict[str, Any]] = tomllib.loads(
    (TENANTS_DIR / "demo-chain.toml").read_text("utf-8")
)["stores"]
"""The demo chain's stores and hours (SH001 first: the kit's store-scoped staff default)."""


class KitDemo:
    """What the helpers ask of the demo: a client and a role's headers."""

    def __init__(self, app: PluginApp) -> None:
        self.app, self.client = app, app.http
        self.tokens: dict[Any, str] = {}  # unused: the kit renews tokens by its own clock

    async def headers(self, role: str = "hq_admin") -> dict[str, str]:
        return await self.app.client(role).headers()


class KitCrm(Crm):
    """:class:`Crm` on the kit's tenant; events are read through the kit."""

    app: PluginApp

    @classmethod
    def of(cls, app: PluginApp) -> KitCrm:
        crm = cls(KitDemo(app), dict(app.stores), app.tenant_id)  # type: ignore[arg-type]
        crm.app = app
        return crm

    async def events(self, type: str) -> list[dict[str, Any]]:
        return await self.app.events(type)


@pytest.fixture
def server_database(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """``plugin_app`` arguments: none on SQLite (the kit's own file), the suite's emptied
    PostgreSQL database otherwise, so kit-based tests keep running on both."""
    if backend == "sqlite":
        return {}
    settings: Settings = request.getfixturevalue("settings")
    return {
        "database_url": settings.database_url,
        "migration_url": settings.migration_database_url,
    }
