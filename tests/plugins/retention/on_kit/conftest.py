"""The retention plugin on ``pitstop.testing``: a fresh chain with the demo chain's stores
and a :class:`Desk` of shortcuts to the API.

``desk`` runs on SQLite only (the kit's file); ``both_desk`` also on the suite's
PostgreSQL server, for the SQL aggregates (KPIs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pitstop_retention
from pitstop.testing import PluginApp, plugin_app
from tests.support.kit import DEMO_STORES, server_database

__all__ = ["server_database"]

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
"""Tuesday 10 March 2026, 10:00 in Shanghai."""


@dataclass
class Desk:
    app: PluginApp

    def client(self, role: str = "hq_admin", store: str | None = None) -> Any:
        return self.app.client(role, store=store)

    async def car(self, km: int = 10_000, **customer: Any) -> dict[str, Any]:
        owner = await self.app.customer(**customer)
        return await self.app.vehicle(str(owner["id"]), mileage_km=km, make="Toyota")

    async def service(self, car: dict[str, Any], km: int, store: str = "SH001") -> dict[str, Any]:
        order = await self.app.order(str(car["customer_id"]), str(car["id"]), store=store)
        done = await self.client().post(
            f"/api/v1/service-orders/{order['id']}/complete", json={"mileage_km": km}
        )
        assert done.status_code == 200, done.text
        return dict(done.json())

    async def reading(self, car: dict[str, Any], km: int) -> None:
        response = await self.client().post(
            f"/api/v1/vehicles/{car['id']}/mileage", json={"mileage_km": km}
        )
        assert response.status_code == 201, response.text

    async def get(self, path: str, role: str = "hq_admin", store: str | None = None) -> Any:
        return await self.get_core(f"/retention{path}", role, store)

    async def get_core(self, path: str, role: str = "hq_admin", store: str | None = None) -> Any:
        """``GET /api/v1{path}``, asserting 200."""
        response = await self.client(role, store).get(f"/api/v1{path}")
        assert response.status_code == 200, response.text
        return response.json()

    async def messages(self, customer_id: str, template: str | None = None) -> list[Any]:
        response = await self.client().get(f"/api/v1/messages?customer_id={customer_id}")
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return [m for m in items if template is None or m.get("template") == template]


async def desk_app(
    tmp_path: Path,
    settings: dict[str, Any] | None = None,
    start: dt.datetime = START,
    **database: str,
) -> AsyncIterator[Desk]:
    async with plugin_app(
        pitstop_retention,
        settings=settings,
        stores=DEMO_STORES,
        start=start,
        directory=tmp_path,
        **database,
    ) as app:
        yield Desk(app)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in desk_app(tmp_path):
        yield d


@pytest.fixture
async def both_desk(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in desk_app(tmp_path, **server_database):
        yield d
