"""The demo book: realistic, valid, deterministic in shape, and idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from pitstop.crm.models import (
    Customer,
    LineKind,
    OrderStatus,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
)
from pitstop.crm.validators import normalize_phone, normalize_plate, normalize_vin
from pitstop.db.tenant_context import tenant_scope
from pitstop.demo.crm_book import SIZES, BookSize, load_demo_crm
from tests.crm.conftest import Crm

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
# The full book is what `make run` loads: built once, on the embedded database. The
# generator is the same Python on both databases, so PostgreSQL and the pricing check get
# a tenth of it (what differs there is the SQL, not the size).
FULL = {"sqlite": SIZES, "postgres": {slug: BookSize(200, 250, 1_000) for slug in SIZES}}
SMALL = {slug: BookSize(200, 250, 1_000) for slug in SIZES}


async def test_demo_book_is_valid_and_a_second_run_adds_nothing(crm: Crm, backend: str) -> None:
    # Given the provisioned demo tenants
    factory = crm.demo.runtime.sessions
    sizes = FULL[backend]
    # When the demo data is loaded twice
    first = await load_demo_crm(factory, NOW, sizes)
    second = await load_demo_crm(factory, NOW, sizes)
    # Then the first run filled both books and the second added nothing
    assert first == {slug: size.customers for slug, size in sizes.items()}
    assert second == dict.fromkeys(sizes, 0)
    size = sizes["demo-chain"]
    async with factory() as session:
        with tenant_scope(crm.tenant_id):
            customers = (await session.scalars(select(Customer))).all()
            vehicles = (await session.scalars(select(Vehicle))).all()
            orders = (
                await session.execute(
                    select(ServiceOrder.store_id, ServiceOrder.status, ServiceOrder.opened_at)
                )
            ).all()
            spend = await session.scalar(
                select(func.sum(ServiceOrder.total)).where(
                    ServiceOrder.status == OrderStatus.completed
                )
            )
    assert (len(customers), len(vehicles), len(orders)) == (
        size.customers,
        size.vehicles,
        size.orders,
    )
    # And every phone, VIN and plate passes the API's own validation, unique per tenant
    assert all(normalize_phone(c.phone or "") == c.phone for c in customers)
    assert all(normalize_vin(v.vin or "").vin == v.vin for v in vehicles)
    assert all(normalize_plate(v.plate or "") == v.plate for v in vehicles)
    assert len({v.vin for v in vehicles}) == len({v.plate for v in vehicles}) == size.vehicles
    # And the orders span three years across all four stores, mostly completed
    assert len({store for store, _, _ in orders}) == 4
    opened = [at for _, _, at in orders]
    assert (max(opened) - min(opened)).days > 2 * 365
    assert Counter(status for _, status, _ in orders)["completed"] > 0.9 * size.orders
    assert spend is not None and spend > 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_demo_orders_are_priced_by_the_api_rules(crm: Crm) -> None:
    # Given a demo book (pricing is the generator's Python, the same on both databases)
    factory = crm.demo.runtime.sessions
    await load_demo_crm(factory, NOW, SMALL)
    # When its orders and lines are read
    async with factory() as session:
        with tenant_scope(crm.tenant_id):
            orders = (await session.scalars(select(ServiceOrder))).all()
            lines = (await session.scalars(select(ServiceOrderLine))).all()
    # Then some quantities are decimal (4.5 L of oil, 1.5 h) and some lines are discounts
    assert any(line.quantity != int(line.quantity) for line in lines)
    assert any(line.kind == LineKind.discount for line in lines)
    # And every order adds up: charges less discounts, and the categories to the total
    assert all(o.total == o.labor_total + o.parts_total - o.discount_total for o in orders)
    assert all(sum(o.amounts.values()) == o.total >= 0 for o in orders)
