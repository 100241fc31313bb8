"""Fixtures for the complaints plugin: the demo chain with the plugin on, an injected clock,
shortcuts to the API, and a way to run the plugin's task and sweep as the worker would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import OutboxEvent
from pitstop.runtime import Runtime
from pitstop.sdk import PluginContext
from pitstop.settings import Settings
from pitstop_complaints.sla import sla_check, sla_sweep
from tests.crm.conftest import Crm
from tests.plugins.complaints import tiers
from tests.support.demo import Demo

MONDAY_10 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
"""Monday 23 Nov 2026, 10:00 in Shanghai: SH001 is open (08:30-12:00, 13:30-18:00)."""

FAST = {
    "policies": {
        "A": {"first_response": "10m", "resolution": "1h", "calendar": "24x7"},
        "B": {"first_response": "2h", "resolution": "1d", "calendar": "store"},
        "C": {"first_response": "1d", "resolution": "3d", "calendar": "store"},
    },
    "escalation": {"owner_role": "hq_analyst", "top_role": "hq_admin", "after": ["0", "30m", "1h"]},
}


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    # The stand-in registers as "membership", so the installed one stays out.
    without_membership = dataclasses.replace(settings, plugins_blocked=("membership",))
    rt = Runtime.build(without_membership, extra_plugins=[tiers], poolclass=NullPool)
    tiers.TIERS.clear()
    try:
        yield rt
    finally:
        await rt.close()


@dataclass
class Desk:
    """The complaints desk of the demo chain: API shortcuts, clock control, task runner."""

    crm: Crm
    now: list[dt.datetime] = field(default_factory=lambda: [MONDAY_10])

    @property
    def demo(self) -> Demo:
        return self.crm.demo

    @property
    def runtime(self) -> Runtime:
        return self.crm.demo.runtime

    def at(self, moment: dt.datetime) -> dt.datetime:
        """Move the injected clock (logins are re-issued: tokens expire by this clock)."""
        self.now[0] = moment
        self.demo.tokens.clear()
        return moment

    def advance(self, **delta: float) -> dt.datetime:
        return self.at(self.now[0] + dt.timedelta(**delta))

    async def configure(self, settings: dict[str, Any], *, enabled: bool = True) -> Any:
        return await self.demo.client.put(
            "/api/v1/plugins/complaints",
            json={"enabled": enabled, "settings": settings},
            headers=await self.crm.headers(),
        )

    async def customer(self, tier: str | None = None) -> str:
        customer_id = str((await self.crm.customer())["id"])
        if tier is not None:
            tiers.TIERS[uuid.UUID(customer_id)] = tier
        return customer_id

    async def log(
        self, severity: str = "A", store: str = "SH001", role: str = "hq_admin", **extra: Any
    ) -> dict[str, Any]:
        body = {
            "customer_id": extra.pop("customer_id", None) or await self.customer(),
            "store_id": self.crm.stores[store],
            "severity": severity,
            "category": "service_quality",
            "channel": "phone",
            "description": "客户反映保养后异响",
            **extra,
        }
        response = await self.demo.client.post(
            "/api/v1/complaints", json=body, headers=await self.crm.headers(role)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def call(self, method: str, path: str, role: str = "hq_admin", **kwargs: Any) -> Any:
        return await self.demo.client.request(
            method, f"/api/v1/complaints{path}", headers=await self.crm.headers(role), **kwargs
        )

    async def get(self, complaint_id: str, role: str = "hq_admin") -> dict[str, Any]:
        response = await self.call("GET", f"/{complaint_id}", role)
        assert response.status_code == 200, response.text
        return dict(response.json())

    @asynccontextmanager
    async def context(self) -> AsyncIterator[PluginContext]:
        """The context a worker builds for this tenant: one transaction, committed."""
        async with self.runtime.sessions() as session, session.begin():
            with tenant_scope(self.crm.tenant_id):
                yield await self.runtime.plugins.context(session, "complaints")

    async def check(self, complaint_id: str) -> None:
        """Deliver one ``sla_check`` timer message, as the worker would."""
        async with self.context() as ctx:
            await sla_check(ctx, complaint_id=complaint_id)

    async def sweep(self) -> None:
        async with self.context() as ctx:
            await sla_sweep(ctx)

    async def events(self, type: str) -> list[dict[str, Any]]:
        return await self.crm.events(type)

    async def count_events(self, type: str) -> int:
        async with self.runtime.sessions() as session:
            with tenant_scope(self.crm.tenant_id):
                statement = select(func.count()).where(OutboxEvent.type == type)
                return int(await session.scalar(statement) or 0)


@pytest.fixture
async def desk(demo: Demo) -> Desk:
    crm = Crm(demo)
    await crm.load_stores()
    helper = Desk(crm)
    clock: Callable[[], dt.datetime] = lambda: helper.now[0]  # noqa: E731
    demo.runtime.clock.set(clock)
    response = await helper.configure(FAST)
    assert response.status_code == 200, response.text
    tiers_on = await demo.client.put(
        "/api/v1/plugins/membership", json={"enabled": True}, headers=await crm.headers()
    )
    assert tiers_on.status_code == 200, tiers_on.text
    return helper


async def staff_of(desk: Desk, role: str, store: str | None = "SH001") -> list[str]:
    """Membership ids of the demo chain's staff of ``role`` working at ``store``."""
    response = await desk.demo.client.get(
        "/api/v1/staff?limit=200", headers=await desk.crm.headers()
    )
    assert response.status_code == 200, response.text
    store_id = desk.crm.stores[store] if store else None
    return [
        s["id"]
        for s in response.json()["items"]
        if s["role"] == role and (s["stores"] is None or store_id in s["stores"])
    ]
