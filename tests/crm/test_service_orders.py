"""Service orders: totals in fen, the status flow, next service due and outbox events."""

from __future__ import annotations

import pytest

from pitstop.crm.models import ServiceOrder, ServiceOrderLine
from tests.crm.conftest import LINE, Crm

LINES = [
    {**LINE, "quantity": 1, "unit_price": 8_000},
    {
        "kind": "part",
        "category": "maintenance",
        "description": "机油 4L",
        "quantity": 2,
        "unit_price": 15_050,
    },
    {
        "kind": "part",
        "category": "tyre",
        "description": "轮胎",
        "quantity": 4,
        "unit_price": 60_000,
    },
]


async def test_open_computes_totals_and_complete_emits_the_facts(crm: Crm) -> None:
    # Given a customer with a vehicle at 12,000 km
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"], mileage_km=12_000)
    # When an order is opened at SH001 with three lines
    order = await crm.order("SH001", customer["id"], vehicle["id"], LINES)
    # Then the server computed the totals in fen
    assert (order["status"], order["total"]) == ("open", 8_000 + 30_100 + 240_000)
    assert (order["labor_total"], order["parts_total"]) == (8_000, 270_100)
    assert order["amounts"] == {"maintenance": 38_100, "tyre": 240_000}
    assert [line["amount"] for line in order["lines"]] == [8_000, 30_100, 240_000]
    # When it is started and then completed at 15,000 km
    headers = await crm.headers()
    started = await crm.demo.client.post(
        f"/api/v1/service-orders/{order['id']}/start", headers=headers
    )
    assert started.json()["status"] == "in_progress"
    done = await crm.complete(order["id"], 15_000)
    # Then it is completed and the next service is due 5,000 km or 6 months later
    assert done["status"] == "completed"
    assert done["next_service_km"] == 20_000 and done["next_service_date"] is not None
    # And service_order.completed carries ids and figures only
    assert await crm.events("service_order.completed") == [
        {
            "order_id": order["id"],
            "store_id": crm.stores["SH001"],
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "total": 278_100,
            "currency": "CNY",
            "amounts": {"maintenance": 38_100, "tyre": 240_000},
            "mileage_km": 15_000,
        }
    ]
    # And the customer's derived figures follow
    body = (
        await crm.demo.client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
    ).json()
    assert (body["visit_count"], body["total_spend"]) == (1, 278_100)
    assert body["last_visit_at"] is not None


async def test_completing_twice_is_a_409_and_refund_reverses_the_spend(crm: Crm) -> None:
    # Given a completed order
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    order = await crm.order("SH001", customer["id"], vehicle["id"])
    await crm.complete(order["id"], 1_000)
    headers = await crm.headers()
    # When it is completed again
    again = await crm.demo.client.post(
        f"/api/v1/service-orders/{order['id']}/complete",
        json={"mileage_km": 2_000},
        headers=headers,
    )
    # Then the rule is named and nothing changed
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_status"
    # When it is refunded with a reason
    refunded = await crm.demo.client.post(
        f"/api/v1/service-orders/{order['id']}/refund",
        json={"reason": "客户投诉返工"},
        headers=headers,
    )
    # Then it is refunded, the event is written and spend no longer counts it
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    assert [e["order_id"] for e in await crm.events("service_order.refunded")] == [order["id"]]
    body = (
        await crm.demo.client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
    ).json()
    assert (body["visit_count"], body["total_spend"]) == (1, 0)
    # And a second refund is refused
    twice = await crm.demo.client.post(
        f"/api/v1/service-orders/{order['id']}/refund", json={"reason": "again"}, headers=headers
    )
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"unit_price": -1}, "lines[0].unit_price"),
        ({"unit_price": 12.5}, "lines[0].unit_price"),
        ({"unit_price": "100"}, "lines[0].unit_price"),
        ({"quantity": 0}, "lines[0].quantity"),
        ({"category": "massage"}, "lines[0].category"),
        ({"kind": "fee"}, "lines[0].kind"),
    ],
)
async def test_bad_lines_are_422_naming_the_field_and_write_nothing(
    crm: Crm, line: dict[str, object], field: str
) -> None:
    # Given a customer and vehicle
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    # When an order is posted with one bad line
    response = await crm.demo.client.post(
        "/api/v1/service-orders",
        json={
            "store_id": crm.stores["SH001"],
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "lines": [{**LINE, **line}],
        },
        headers=await crm.headers(),
    )
    # Then it is 422 naming the field, and no order or line exists
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert await crm.count(ServiceOrder) == 0 and await crm.count(ServiceOrderLine) == 0


async def test_vehicle_of_another_customer_is_refused(crm: Crm) -> None:
    # Given two customers, the vehicle owned by the second
    first, second = await crm.customer(), await crm.customer()
    vehicle = await crm.vehicle(second["id"])
    # When an order pairs the first customer with the second's vehicle
    response = await crm.demo.client.post(
        "/api/v1/service-orders",
        json={
            "store_id": crm.stores["SH001"],
            "customer_id": first["id"],
            "vehicle_id": vehicle["id"],
            "lines": [LINE],
        },
        headers=await crm.headers(),
    )
    # Then the rule is named
    assert response.status_code == 422
    assert response.json()["code"] == "vehicle_not_owned"
    assert await crm.count(ServiceOrder) == 0


async def test_completion_with_lower_mileage_writes_nothing(crm: Crm) -> None:
    # Given an open order for a vehicle at 50,000 km
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"], mileage_km=50_000)
    order = await crm.order("SH001", customer["id"], vehicle["id"])
    # When it is completed with 40,000 km
    response = await crm.demo.client.post(
        f"/api/v1/service-orders/{order['id']}/complete",
        json={"mileage_km": 40_000},
        headers=await crm.headers(),
    )
    # Then it is refused and the order is still open, with no event
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mileage_km"
    reread = await crm.demo.client.get(
        f"/api/v1/service-orders/{order['id']}", headers=await crm.headers()
    )
    assert reread.json()["status"] == "open"
    assert await crm.events("service_order.completed") == []


async def test_store_scoped_advisor_sees_only_their_stores_orders(crm: Crm) -> None:
    # Given orders at SH001 (the advisor's store) and HZ001
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"])
    mine = await crm.order("SH001", customer["id"], vehicle["id"])
    theirs = await crm.order("HZ001", customer["id"], vehicle["id"])
    advisor = await crm.headers("service_advisor")
    # When the SH001 advisor lists and reads orders
    listed = await crm.demo.client.get("/api/v1/service-orders", headers=advisor)
    other = await crm.demo.client.get(f"/api/v1/service-orders/{theirs['id']}", headers=advisor)
    complete = await crm.demo.client.post(
        f"/api/v1/service-orders/{theirs['id']}/complete", json={"mileage_km": 1}, headers=advisor
    )
    # Then only SH001's order is listed and the other store's is not found at all
    assert [o["id"] for o in listed.json()["items"]] == [mine["id"]]
    assert other.status_code == 404 and complete.status_code == 404
    # And the advisor cannot open an order at a store outside their scope
    response = await crm.demo.client.post(
        "/api/v1/service-orders",
        json={
            "store_id": crm.stores["HZ001"],
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "lines": [LINE],
        },
        headers=advisor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "store_id"
