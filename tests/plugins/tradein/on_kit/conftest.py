"""The trade-in plugin on ``pitstop.testing``: a fresh chain with the demo chain's stores,
a price table, and a :class:`Yard` of shortcuts to the API.

``yard`` runs on SQLite only (the kit's file); ``both_yard`` also on the suite's
PostgreSQL server, for the files where the database's behaviour matters (the stage
machine and the break-in attempts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pitstop_tradein
from pitstop.testing import PluginApp, plugin_app
from tests.support.kit import DEMO_STORES, server_database

__all__ = ["server_database"]

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
"""Tuesday 10 March 2026, 10:00 in Shanghai."""
CAMRY = {"make": "Toyota", "model": "Camry", "year": 2022}
BOOK = 20_000_000
"""¥200,000: the price table's Camry 2022."""
INSPECTION = {
    p: {"grade": 4} for p in ("exterior", "interior", "mechanical", "tyres", "electrical")
}


@dataclass
class Yard:
    app: PluginApp

    def client(self, role: str = "store_manager", store: str | None = None) -> Any:
        return self.app.client(role, store=store)

    async def car(self, **fields: Any) -> dict[str, Any]:
        """A Camry bought 1 March 2022 with 40,000 km recorded at registration."""
        customer = await self.app.customer()
        body = {**CAMRY, "purchase_date": "2022-03-01", "mileage_km": 40_000, **fields}
        return await self.app.vehicle(str(customer["id"]), **body)

    async def lead(self, store: str = "SH001", **car: Any) -> dict[str, Any]:
        vehicle = await self.car(**car)
        body = {"vehicle_id": vehicle["id"], "source": "walk_in", "note": "想换新车"}
        response = await self.client("service_advisor", store).post(
            "/api/v1/tradein/leads", json=body
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def appraise(self, lead: dict[str, Any], store: str = "SH001", **body: Any) -> Any:
        return await self.client("service_advisor", store).post(
            f"/api/v1/tradein/leads/{lead['id']}/appraisals",
            json={"odometer_km": 45_000, "inspection": INSPECTION, **body},
        )

    async def offer(self, lead: dict[str, Any], amount: int, store: str = "SH001") -> Any:
        return await self.client("service_advisor", store).post(
            f"/api/v1/tradein/leads/{lead['id']}/offers", json={"amount": amount}
        )

    async def act(
        self,
        lead: dict[str, Any],
        path: str,
        body: Any = None,
        *,
        role: str = "store_manager",
        store: str = "SH001",
    ) -> Any:
        url = f"/api/v1/tradein/leads/{lead['id']}{path}"
        return await self.client(role, store).post(url, json=body if body is not None else {})

    async def get(self, lead: dict[str, Any]) -> dict[str, Any]:
        response = await self.client("hq_admin").get(f"/api/v1/tradein/leads/{lead['id']}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def offered(self, store: str = "SH001") -> tuple[dict[str, Any], dict[str, Any]]:
        """A lead appraised and offered its valuation (no approval needed)."""
        lead = await self.lead(store)
        appraisal = (await self.appraise(lead, store)).json()
        offer = await self.offer(lead, appraisal["valuation"], store)
        assert offer.status_code == 201, offer.text
        return lead, offer.json()


async def _yard(tmp_path: Path, **database: str) -> AsyncIterator[Yard]:
    async with plugin_app(
        pitstop_tradein, stores=DEMO_STORES, start=START, directory=tmp_path, **database
    ) as app:
        response = await app.client("hq_admin").put(
            "/api/v1/tradein/price-table", json={"rows": [{**CAMRY, "base_value": BOOK}]}
        )
        assert response.status_code == 200, response.text
        yield Yard(app)


@pytest.fixture
async def yard(tmp_path: Path) -> AsyncIterator[Yard]:
    async for y in _yard(tmp_path):
        yield y


@pytest.fixture
async def both_yard(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[Yard]:
    async for y in _yard(tmp_path, **server_database):
        yield y
