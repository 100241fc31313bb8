"""Real-world order lines: tenant limits, decimal quantities, discounts off the total."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from pitstop.crm.models import ServiceOrder, ServiceOrderLine
from pitstop.crm.pricing import OrderLimits
from pitstop.crm.schemas import Quantity
from pitstop.db.tenant_context import tenant_scope
from pitstop.tenancy.models import Tenant
from tests.crm.conftest import LINE, Crm

YUAN = 100


def part(quantity: Any, unit_price: int, category: str = "maintenance") -> dict[str, Any]:
    return {
        "kind": "part",
        "category": category,
        "description": "全合成机油 1L",
        "quantity": quantity,
        "unit_price": unit_price,
    }


def discount(unit_price: int, category: str = "maintenance", quantity: Any = 1) -> dict[str, Any]:
    return {
        "kind": "discount",
        "category": category,
        "description": "会员保养优惠",
        "quantity": quantity,
        "unit_price": unit_price,
    }


async def post_order(crm: Crm, lines: Any, role: str = "hq_admin") -> Any:
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    return await crm.demo.client.post(
        "/api/v1/service-orders",
        json={
            "store_id": crm.stores["SH001"],
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "lines": lines,
        },
        headers=await crm.headers(role),
    )


async def set_tenant_settings(crm: Crm, **settings: Any) -> None:
    async with crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id):
            tenant = (await session.scalars(select(Tenant).where(Tenant.id == crm.tenant_id))).one()
            tenant.settings = {**tenant.settings, **settings}


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def test_the_reproduction_is_refused_naming_each_line_and_writes_nothing(crm: Crm) -> None:
    # Given the advisor's order: 200 lines x quantity 10,000 x ¥100,000,000
    lines = [part(10_000, 100_000_000 * YUAN) for _ in range(200)]
    # When it is posted with the default limits
    response = await post_order(crm, lines, role="service_advisor")
    # Then it is a 422 naming every line's quantity and unit price, and nothing is written
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "order_over_limit"
    assert fields(response)[:4] == [
        "lines[0].quantity",
        "lines[0].unit_price",
        "lines[1].quantity",
        "lines[1].unit_price",
    ]
    assert len(fields(response)) == 400
    assert await crm.count(ServiceOrder) == 0 and await crm.count(ServiceOrderLine) == 0


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([LINE, LINE, LINE, part(1_001, 100)], "lines[3].quantity"),
        ([part(1, 1_000_000 * YUAN + 1)], "lines[0].unit_price"),
        ([part(1, 1_000_000 * YUAN)] * 5 + [part(1, 1)], "lines"),
    ],
)
async def test_each_default_limit_names_the_line_and_field(
    crm: Crm, lines: list[dict[str, Any]], field: str
) -> None:
    # Given the default limits (1,000 per line, ¥1,000,000 a unit, ¥5,000,000 an order)
    # When an order passes one of them by the smallest step
    response = await post_order(crm, lines)
    # Then the 422 names the line and field (the whole order's lines for the total)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]
    assert await crm.count(ServiceOrder) == 0


async def test_orders_at_the_limits_are_accepted(crm: Crm) -> None:
    # Given the default limits
    # When an order sits exactly on each of them
    lines = [part(1_000, 1_000 * YUAN), part(1, 1_000_000 * YUAN)] + [part(1, 1_000_000 * YUAN)] * 3
    response = await post_order(crm, lines)
    # Then it is accepted with a total of exactly ¥5,000,000
    assert response.status_code == 201, response.text
    assert response.json()["total"] == 5_000_000 * YUAN


async def test_tenant_settings_move_the_limits(crm: Crm) -> None:
    # Given a tenant whose settings allow 5 per line, ¥50 a unit and ¥200 an order
    await set_tenant_settings(
        crm,
        **{
            "orders.max_line_quantity": 5,
            "orders.max_unit_price": 50 * YUAN,
            "orders.max_order_total": 200 * YUAN,
        },
    )
    # When orders pass each of them
    quantity = await post_order(crm, [part(6, 1)])
    price = await post_order(crm, [part(1, 50 * YUAN + 1)])
    total = await post_order(crm, [part(5, 50 * YUAN), part(1, 1)])
    # Then each is refused, naming its field, and an order within them is accepted
    assert fields(quantity) == ["lines[0].quantity"]
    assert fields(price) == ["lines[0].unit_price"]
    assert fields(total) == ["lines"]
    assert (await post_order(crm, [part(4, 50 * YUAN)])).status_code == 201


async def test_decimal_quantities_round_half_up_to_the_fen(crm: Crm) -> None:
    # Given 4.5 L of oil at ¥19.99 a litre and 1.5 h of labour at ¥80 an hour
    lines = [part(4.5, 1_999), {**LINE, "quantity": 1.5, "unit_price": 8_000}, part(2, 6_500)]
    # When the order is opened
    response = await post_order(crm, lines)
    # Then 4.5 x 1,999 = 8,995.5 rounds half up to 8,996 fen, and the total is exact
    assert response.status_code == 201, response.text
    order = response.json()
    assert [line["amount"] for line in order["lines"]] == [8_996, 12_000, 13_000]
    assert (order["total"], order["parts_total"], order["labor_total"]) == (33_996, 21_996, 12_000)
    # And quantities are JSON numbers as written, on reading back too
    again = await crm.demo.client.get(
        f"/api/v1/service-orders/{order['id']}", headers=await crm.headers()
    )
    assert [line["quantity"] for line in again.json()["lines"]] == [4.5, 1.5, 2]
    assert '"quantity":4.5' in again.text.replace(" ", "")


@pytest.mark.parametrize(
    "quantity",
    [4.5001, 0, -1, -0.5, "1e1", "4.5", True, None, 1_000_000_000],
)
async def test_bad_quantities_are_422_naming_the_field(crm: Crm, quantity: Any) -> None:
    # Given a line with a quantity that is not a positive number of at most three decimals
    # When the order is posted
    response = await post_order(crm, [LINE, part(quantity, 1_000)])
    # Then it is refused naming the field, and nothing is written
    assert response.status_code == 422, response.text
    assert fields(response) == ["lines[1].quantity"]
    assert await crm.count(ServiceOrder) == 0


@pytest.mark.parametrize("literal", ["NaN", "-Infinity", "1e400"])
async def test_bodies_with_non_finite_numbers_are_refused_whole(crm: Crm, literal: str) -> None:
    # Given a body whose quantity is not a JSON number (NaN, Infinity) or overflows (1e400)
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    line = {"kind": "part", "category": "tyre", "description": "x", "unit_price": 1}
    body = json.dumps(
        {
            "store_id": crm.stores["SH001"],
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "lines": [{**line, "quantity": "QUANTITY"}],
        }
    ).replace('"QUANTITY"', literal)
    # When it is posted
    response = await crm.demo.client.post(
        "/api/v1/service-orders",
        content=body,
        headers={**await crm.headers(), "Content-Type": "application/json"},
    )
    # Then the JSON parser refuses the body before any field is read, and nothing is written
    assert response.status_code == 400, response.text
    assert await crm.count(ServiceOrder) == 0


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), Decimal("1E+7")]
)
def test_quantity_refuses_what_is_not_a_finite_amount(value: object) -> None:
    # Given a value that reached the quantity type some other way than JSON
    # When it is checked
    # Then it is refused as a value error (a 422 naming the field through the API)
    with pytest.raises(ValueError):
        Quantity.check(value)


def test_quantity_reads_floats_through_their_shortest_decimal_form() -> None:
    # Given floats as the JSON parser hands them over
    # When they are checked
    # Then each is the exact decimal that was written
    assert [Quantity.check(v) for v in (4.5, 0.001, 999_999.999, 2)] == [
        Decimal("4.5"),
        Decimal("0.001"),
        Decimal("999999.999"),
        Decimal(2),
    ]


async def test_money_stays_strict_integer_fen(crm: Crm) -> None:
    # Given a decimal quantity beside a decimal unit price
    # When the order is posted
    response = await post_order(crm, [part(1.5, 12.5)])  # type: ignore[arg-type]
    # Then the price is refused: money is integer fen
    assert fields(response) == ["lines[0].unit_price"]


async def test_a_discount_line_reduces_the_total(crm: Crm) -> None:
    # Given ¥120 of labour, ¥300 of tyres and a ¥20 maintenance discount
    lines = [LINE, part(2, 15_000, category="tyre"), discount(2_000)]
    # When the order is opened
    response = await post_order(crm, lines)
    # Then the discount line keeps a positive amount and the total is reduced by it
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["lines"][2] == {
        "kind": "discount",
        "category": "maintenance",
        "description": "会员保养优惠",
        "quantity": 1,
        "unit_price": 2_000,
        "amount": 2_000,
    }
    assert order["total"] == 12_000 + 30_000 - 2_000
    # And labour and parts totals are the charges, the discount has its own total
    assert (order["labor_total"], order["parts_total"], order["discount_total"]) == (
        12_000,
        30_000,
        2_000,
    )
    # And per category the discount is taken from its own category; they add up to the total
    assert order["amounts"] == {"maintenance": 10_000, "tyre": 30_000}
    assert sum(order["amounts"].values()) == order["total"]


async def test_completion_carries_the_total_after_discounts(crm: Crm) -> None:
    # Given an order of ¥120 with a ¥20 discount
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    order = await crm.order("SH001", customer["id"], vehicle["id"], [LINE, discount(2_000)])
    # When it completes
    await crm.complete(order["id"], 1_000)
    # Then the event and the customer's spend count ¥100
    [facts] = await crm.events("service_order.completed")
    assert (facts["total"], facts["amounts"]) == (10_000, {"maintenance": 10_000})
    body = (
        await crm.demo.client.get(
            f"/api/v1/customers/{customer['id']}", headers=await crm.headers()
        )
    ).json()
    assert body["total_spend"] == 10_000


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([LINE, discount(12_001)], "lines"),
        ([discount(100)], "lines"),
        ([LINE, discount(0)], "lines[1].unit_price"),
    ],
)
async def test_a_total_below_zero_or_an_empty_discount_is_refused(
    crm: Crm, lines: list[dict[str, Any]], field: str
) -> None:
    # Given an order whose discounts exceed its charges, or a discount of nothing
    # When it is posted
    response = await post_order(crm, lines)
    # Then it is a 422 naming the field and nothing is written
    assert response.status_code == 422, response.text
    assert fields(response) == [field]
    assert await crm.count(ServiceOrder) == 0 and await crm.count(ServiceOrderLine) == 0


async def test_a_discount_may_bring_the_total_to_zero(crm: Crm) -> None:
    # Given a free first inspection: ¥120 of labour and a ¥120 discount
    # When it is opened
    response = await post_order(crm, [LINE, discount(12_000)])
    # Then the total is zero
    assert response.status_code == 201, response.text
    assert (response.json()["total"], response.json()["discount_total"]) == (0, 12_000)


def test_limits_read_from_tenant_settings_fall_back_to_the_default_when_malformed() -> None:
    # Given settings with a decimal quantity limit, a good price limit and a broken total
    settings = {
        "orders.max_line_quantity": 12.5,
        "orders.max_unit_price": 5_000,
        "orders.max_order_total": "lots",
        "service_interval_km": 7_500,
    }
    # When the limits are read
    limits = OrderLimits.of(settings)
    # Then the good ones apply and the broken one is the default, never "no limit"
    assert limits == OrderLimits(Decimal("12.5"), 5_000, OrderLimits().max_order_total)
    assert OrderLimits.of({"orders.max_unit_price": True}) == OrderLimits()
    assert OrderLimits.of({"orders.max_line_quantity": 0}) == OrderLimits()
