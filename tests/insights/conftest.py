"""A small book of visits written straight into the demo chain, at chosen local times.

The KPI tests need orders completed at exact instants (the last evening of a month, two
years back), which the API cannot produce without moving the clock for every order; rows
are written through the ORM inside the tenant's scope, as the walls require, and each visit
goes into the daily rollups the way ``crm.orders.complete`` puts it there.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pitstop.crm import rollups
from pitstop.crm.models import Customer, OrderStatus, ServiceOrder, SourceChannel, Vehicle
from pitstop.db.tenant_context import tenant_scope
from tests.crm.conftest import Crm, crm, make_phone, make_plate, make_vin

__all__ = ["ON_SQLITE", "Book", "book", "crm", "local"]

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
"""For the tests whose behaviour does not depend on the database (scope, input, hooks)."""

SHANGHAI = ZoneInfo("Asia/Shanghai")
_serial = itertools.count(900_000)


def local(day: str, time: str = "10:00") -> dt.datetime:
    """A wall-clock moment in the demo chain's zone, as the UTC instant stored."""
    moment = dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)
    return moment.astimezone(dt.UTC)


@dataclass
class Book:
    crm: Crm

    async def customer(
        self,
        source: SourceChannel = SourceChannel.walk_in,
        make: str | None = None,
        model: str | None = None,
        **fields: object,
    ) -> uuid.UUID:
        """A customer with one vehicle (of ``make`` and ``model`` when given)."""
        n = next(_serial)
        async with self.crm.demo.runtime.sessions() as session, session.begin():
            with tenant_scope(self.crm.tenant_id):
                phone = f"+86{make_phone(n)}"
                customer = Customer(
                    name=f"客{n}", phone=phone, phone_last4=phone[-4:], source=source, **fields
                )
                session.add(customer)
                await session.flush()
                vin, plate = make_vin(n), make_plate(n)
                session.add(
                    Vehicle(customer_id=customer.id, vin=vin, plate=plate, make=make, model=model)
                )
                await session.flush()
        return customer.id

    async def visit(
        self,
        customer_id: uuid.UUID,
        store: str,
        completed_at: dt.datetime | None,
        total: int,
        status: OrderStatus = OrderStatus.completed,
        advisor_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        async with self.crm.demo.runtime.sessions() as session, session.begin():
            with tenant_scope(self.crm.tenant_id):
                vehicle = (
                    await session.scalars(
                        select(Vehicle.id).where(Vehicle.customer_id == customer_id)
                    )
                ).first()
                order = ServiceOrder(
                    store_id=uuid.UUID(self.crm.stores[store]),
                    customer_id=customer_id,
                    vehicle_id=vehicle,
                    advisor_id=advisor_id,
                    status=status,
                    total=total,
                    labor_total=total,
                    opened_at=completed_at or local("2026-03-01"),
                    completed_at=completed_at,
                )
                session.add(order)
                await session.flush()
                if completed_at is not None and status in rollups.VISITS:
                    # As completing it would: the day's rollup takes the visit at once.
                    await rollups.visit_recorded(session, order, "Asia/Shanghai")
        return order.id


@pytest.fixture
async def book(crm: Crm) -> Book:
    return Book(crm)
