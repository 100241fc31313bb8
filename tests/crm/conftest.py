"""Builders for CRM tests: valid VINs, plates and phones, and API shortcuts on the demo chain."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from pitstop.crm.validators import vin_check_digit
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import OutboxEvent
from pitstop.tenancy.models import Tenant
from tests.support.demo import Demo

_serial = itertools.count(1)


def make_vin(serial: int, wmi: str = "LSV", vds: str = "AU218", year: str = "N") -> str:
    """A VIN with a correct check digit (position 9)."""
    body = f"{wmi}{vds}0{year}2{serial:06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def make_plate(serial: int, prefix: str = "沪A") -> str:
    return f"{prefix}{serial % 100000:05d}"


def make_phone(serial: int) -> str:
    return f"139{serial % 100_000_000:08d}"


@dataclass
class Crm:
    """Shortcuts that call the real API as the demo chain's HQ admin (unless told)."""

    demo: Demo
    stores: dict[str, str] = field(default_factory=dict)
    tenant_id: uuid.UUID = field(default_factory=lambda: uuid.UUID(int=0))

    async def headers(self, role: str = "hq_admin") -> dict[str, str]:
        return await self.demo.headers(role)

    async def load_stores(self) -> None:
        response = await self.demo.client.get("/api/v1/stores", headers=await self.headers())
        assert response.status_code == 200, response.text
        self.stores = {s["code"]: s["id"] for s in response.json()["items"]}
        async with self.demo.runtime.sessions() as session:
            self.tenant_id = (
                await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))
            ).one()

    async def count(self, model: type) -> int:
        """Rows of ``model`` in the demo chain (read straight from the database)."""
        async with self.demo.runtime.sessions() as session:
            with tenant_scope(self.tenant_id):
                return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def events(self, type: str) -> list[dict[str, Any]]:
        """Payloads of the demo chain's outbox events of one type, oldest first."""
        async with self.demo.runtime.sessions() as session:
            with tenant_scope(self.tenant_id):
                rows = await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.type == type)
                    .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
                )
                return [dict(e.payload) for e in rows.all()]

    async def customer(self, role: str = "hq_admin", **fields: Any) -> dict[str, Any]:
        n = next(_serial)
        body = {"name": f"张{n}", "phone": make_phone(n), **fields}
        response = await self.demo.client.post(
            "/api/v1/customers", json=body, headers=await self.headers(role)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def vehicle(self, customer_id: str, **fields: Any) -> dict[str, Any]:
        n = next(_serial)
        body = {"customer_id": customer_id, "vin": make_vin(n), "plate": make_plate(n), **fields}
        response = await self.demo.client.post(
            "/api/v1/vehicles", json=body, headers=await self.headers()
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def order(
        self,
        store: str,
        customer_id: str,
        vehicle_id: str,
        lines: list[dict[str, Any]] | None = None,
        role: str = "hq_admin",
    ) -> dict[str, Any]:
        body = {
            "store_id": self.stores[store],
            "customer_id": customer_id,
            "vehicle_id": vehicle_id,
            "lines": lines or [LINE],
        }
        response = await self.demo.client.post(
            "/api/v1/service-orders", json=body, headers=await self.headers(role)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def complete(self, order_id: str, mileage_km: int) -> dict[str, Any]:
        response = await self.demo.client.post(
            f"/api/v1/service-orders/{order_id}/complete",
            json={"mileage_km": mileage_km},
            headers=await self.headers(),
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


LINE = {
    "kind": "labor",
    "category": "maintenance",
    "description": "更换机油机滤",
    "quantity": 1,
    "unit_price": 12_000,
}


@pytest.fixture
async def crm(demo: Demo) -> Crm:
    helper = Crm(demo)
    await helper.load_stores()
    return helper


async def seed_book(crm: Crm, count: int, store: str = "SH001") -> None:
    """``count`` customers, each with a vehicle and a completed order, written in bulk."""
    import datetime as dt

    from pitstop.crm.models import Customer, OrderStatus, ServiceOrder, Vehicle

    store_id = uuid.UUID(crm.stores[store])
    now = dt.datetime.now(dt.UTC)
    async with crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id):
            for i in range(count):
                n = 700_000 + i
                phone = f"+86{make_phone(n)}"
                customer = Customer(name=f"批量{i}", phone=phone, phone_last4=phone[-4:])
                session.add(customer)
                await session.flush()
                vehicle = Vehicle(customer_id=customer.id, vin=make_vin(n), plate=make_plate(n))
                session.add(vehicle)
                await session.flush()
                session.add(
                    ServiceOrder(
                        store_id=store_id,
                        customer_id=customer.id,
                        vehicle_id=vehicle.id,
                        status=OrderStatus.completed,
                        total=10_000,
                        completed_at=now,
                    )
                )
            await session.flush()
