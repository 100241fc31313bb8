"""The reconditioning order: when the shop buys the car it becomes the tenant's internal
customer's, and a core service order is opened on it at the buying store.

One app (trade-in with membership beside it, auto-enrolling on a first completed order)
carries the whole story: the internal customer must earn nothing, count as nobody on the
KPI board and stay out of the customer list, while a real customer's order beside it does
all three.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import pitstop_membership
import pitstop_tradein
from pitstop.crm.internal import internal_customer_id
from pitstop.sdk import (
    OrderLine,
    Principal,
    Unprocessable,
    open_service_order,
    take_into_stock,
)
from pitstop.testing import plugin_app
from pitstop_tradein import recon
from pitstop_tradein.models import Lead
from tests.support.kit import DEMO_STORES, server_database

from .conftest import BOOK, CAMRY, START, Yard

__all__ = ["server_database"]

RECON = [{"category": "paint", "estimate": 300_000}, {"category": "tyres", "estimate": 120_000}]
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


async def _yard(tmp_path: Path, **database: str) -> AsyncIterator[Yard]:
    async with plugin_app(
        pitstop_tradein,
        pitstop_membership,
        stores=DEMO_STORES,
        start=START,
        directory=tmp_path,
        **database,
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
    """On PostgreSQL too, for the purchase: the internal customer made in a savepoint,
    the transfer and the order under row-level security."""
    async for y in _yard(tmp_path, **server_database):
        yield y


async def _bought(yard: Yard) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """A lead appraised with two recon items, offered, accepted and purchased at SH001."""
    lead = await yard.lead()
    appraisal = (await yard.appraise(lead, recon_items=RECON)).json()
    offer = (await yard.offer(lead, appraisal["valuation"])).json()
    assert (await yard.act(lead, f"/offers/{offer['id']}/accept")).status_code == 200
    body = {"price": offer["amount"], "replacement": {"bought_from_us": True, "amount": 1}}
    bought = await yard.act(lead, "/purchase", body, role="service_advisor")
    return lead, appraisal, bought


async def _audit(yard: Yard, action: str) -> list[dict[str, Any]]:
    response = await yard.client("hq_admin").get("/api/v1/audit", params={"action": action})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_purchase_moves_the_car_to_the_shop_and_opens_one_recon_order(
    both_yard: Yard,
) -> None:
    yard = both_yard
    # Given a car bought in at SH001 after an appraisal with two recon items
    lead, appraisal, bought = await _bought(yard)
    assert bought.status_code == 200, bought.text
    stock = str(internal_customer_id(yard.app.tenant_id))
    order_id = bought.json()["recon_order_id"]
    # Then the lead names a core service order, open at the buying store, on the shop's
    # internal customer, priced from the recon estimates
    desk = yard.client("service_advisor", "SH001")
    order = (await desk.get(f"/api/v1/service-orders/{order_id}")).json()
    assert (order["status"], order["store_id"], order["customer_id"]) == (
        "open",
        lead["store_id"],
        stock,
    )
    assert (order["vehicle_id"], order["total"]) == (lead["vehicle_id"], 420_000)
    assert [line["unit_price"] for line in order["lines"]] == [300_000, 120_000]
    # And the car's history shows the seller's ownership ended and the shop's begun
    history = (await desk.get(f"/api/v1/vehicles/{lead['vehicle_id']}/history")).json()
    owners = [(o["customer_id"], o["ended_at"] is None) for o in history["owners"]]
    assert owners == [(lead["customer_id"], False), (stock, True)]
    # And both the move and the order are audited, once
    moved = await _audit(yard, "vehicle.taken_into_stock")
    assert [(r["resource_id"], r["detail"]["by"]) for r in moved] == [
        (lead["vehicle_id"], "tradein")
    ]
    assert len(await _audit(yard, "tradein.recon_order_opened")) == 1
    # When the purchase is retried, and the recon-order route is asked for the order
    again = await yard.act(
        lead, "/purchase", {"price": 1, "replacement": {"bought_from_us": False}}
    )
    asked = await desk.post(f"/api/v1/tradein/appraisals/{appraisal['id']}/recon-order")
    # Then the retry is refused, the route answers the same order, and the car has one
    assert again.status_code == 409
    assert (asked.status_code, asked.json()["order_id"]) == (200, order_id)
    orders = await desk.get("/api/v1/service-orders", params={"vehicle_id": lead["vehicle_id"]})
    assert [o["id"] for o in orders.json()["items"]] == [order_id]
    assert len(await _audit(yard, "tradein.recon_order_opened")) == 1


async def test_the_shop_earns_nothing_counts_as_nobody_and_is_not_listed(yard: Yard) -> None:
    # Given a car bought in, and a real customer's order beside it, both completed
    _, _, bought = await _bought(yard)
    desk = yard.client("service_advisor", "SH001")
    recon = bought.json()["recon_order_id"]
    assert (await desk.post(f"/api/v1/service-orders/{recon}/start")).status_code == 200
    done = await desk.post(f"/api/v1/service-orders/{recon}/complete", json={"mileage_km": 46_000})
    assert done.status_code == 200, done.text
    customer = await yard.app.customer()
    await yard.app.completed_order(str(customer["id"]), store="SH001")
    # When the events are delivered
    await yard.app.drain()
    admin, stock = yard.client("hq_admin"), internal_customer_id(yard.app.tenant_id)
    # Then the real customer was enrolled and earned; the shop has no account
    member = await admin.get(f"/api/v1/membership/accounts/{customer['id']}")
    assert member.status_code == 200 and member.json()["pending"] + member.json()["balance"] > 0, (
        member.text
    )
    assert (await admin.get(f"/api/v1/membership/accounts/{stock}")).status_code == 404
    # And the KPI board counts one customer, one visit and the real order's revenue only
    chain = (await admin.get("/api/v1/insights/kpis", params=MARCH)).json()["chain"]
    assert (chain["unique_customers"], chain["visits"], chain["orders"]) == (1, 1, 1)
    assert chain["new_customers"]["total"] == 1
    # And the customer list leaves the shop out, unless asked for it alone
    listed = (await admin.get("/api/v1/customers")).json()["items"]
    sellers_and_buyers = {c["id"] for c in listed}
    assert str(stock) not in sellers_and_buyers and str(customer["id"]) in sellers_and_buyers
    alone = (await admin.get("/api/v1/customers", params={"internal": "true"})).json()["items"]
    assert [c["id"] for c in alone] == [str(stock)]
    # And the shop is no customer to edit or erase
    patch = await admin.patch(f"/api/v1/customers/{stock}", json={"name": "某人"})
    assert (patch.status_code, patch.json()["code"]) == (409, "internal_customer")
    erase = await admin.post(f"/api/v1/customers/{stock}/erase", json={"reason": "x"})
    assert (erase.status_code, erase.json()["code"]) == (409, "internal_customer")
    # And staff cannot enrol it by hand either
    enrol = await admin.post(f"/api/v1/membership/accounts/{stock}/enrol", json={})
    assert enrol.status_code == 422, enrol.text


async def test_recon_cost_feeds_the_margin_once_the_order_is_completed(yard: Yard) -> None:
    # Given a car bought in with ¥4,200 of recon estimated, sold for ¥9,000 over its price
    lead, _, bought = await _bought(yard)
    price = bought.json()["purchase_price"]
    sold = await yard.act(lead, "/sold", {"price": price + 900_000, "channel": "retail"})
    assert sold.status_code == 200, sold.text
    admin = yard.client("hq_admin")

    async def margin() -> int:
        body = (await admin.get("/api/v1/tradein/kpis")).json()
        return int(body["gross_margin_per_unit"])

    # Then until the recon order is done the margin uses the estimates
    assert await margin() == 900_000 - 420_000
    # When the recon order is completed
    recon_id, desk = bought.json()["recon_order_id"], yard.client("service_advisor", "SH001")
    await desk.post(f"/api/v1/service-orders/{recon_id}/start")
    await desk.post(f"/api/v1/service-orders/{recon_id}/complete", json={"mileage_km": 46_000})
    # Then the margin uses the order's total (the same lines today: staff cannot reprice)
    assert await margin() == 900_000 - 420_000
    # And a completed recon order whose total differs from the estimates is what counts;
    # an open one is not yet
    line = {"kind": "part", "category": "repair", "description": "钣金", "quantity": 1}
    dearer = await yard.app.completed_order(lines=[{**line, "unit_price": 555_000}])
    still_open = await yard.app.order(lines=[{**line, "unit_price": 777_000}])
    async with yard.app.context("tradein") as ctx:
        row = await ctx.session.get(Lead, (yard.app.tenant_id, uuid.UUID(lead["id"])))
        assert row is not None
        appraisal = await recon.bought_on(ctx, row)
        costs = []
        for order in (dearer, still_open):
            row.recon_order_id = uuid.UUID(order["id"])
            costs.append(await recon.recon_cost(ctx, row, appraisal))
        row.recon_order_id = uuid.UUID(recon_id)
    assert costs == [555_000, 420_000]


async def test_the_sdk_writes_refuse_another_tenants_ids_and_another_store(yard: Yard) -> None:
    # Given the trade-in plugin's context as a hook of a store manager of SH001 sees it
    vehicle = await yard.car()
    other = uuid.uuid4()
    sh001 = frozenset({uuid.UUID(yard.app.stores["SH001"])})
    async with yard.app.context("tradein") as ctx:
        ctx.principal = Principal(
            "user", uuid.uuid4(), yard.app.tenant_id, "store_manager", frozenset(), sh001
        )
        # When it names a vehicle or a store that is not this tenant's, or SH002
        attempts = [
            take_into_stock(ctx, other),
            open_service_order(
                ctx, vehicle_id=other, store_id=uuid.UUID(yard.app.stores["SH001"]),
                lines=[OrderLine("x", 1)],
            ),
            open_service_order(
                ctx, vehicle_id=uuid.UUID(vehicle["id"]), store_id=other,
                lines=[OrderLine("x", 1)],
            ),
            open_service_order(
                ctx, vehicle_id=uuid.UUID(vehicle["id"]),
                store_id=uuid.UUID(yard.app.stores["SH002"]), lines=[OrderLine("x", 1)],
            ),
            open_service_order(
                ctx, vehicle_id=uuid.UUID(vehicle["id"]),
                store_id=uuid.UUID(yard.app.stores["SH001"]), lines=[OrderLine("x", -5)],
            ),
        ]  # fmt: skip
        fields = []
        for attempt in attempts:
            with pytest.raises(Unprocessable) as refused:
                await attempt
            fields.append(refused.value.errors[0]["field"])
    # Then each is a 422 naming the field
    assert fields == ["vehicle_id", "vehicle_id", "store_id", "store_id", "lines"]
