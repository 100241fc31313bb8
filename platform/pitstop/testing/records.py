"""Core records a plugin test starts from, made through the public API as a user would.

Every plugin test needs a customer, a vehicle or a completed service order; making them
through the API (not the ORM) means the core's own events fire (``customer.created``,
``service_order.completed``) and the rows are what real use leaves.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from pitstop.crm.validators import vin_check_digit

if TYPE_CHECKING:
    from pitstop.testing.client import RoleClient

_serial = itertools.count(1)

LINE: dict[str, Any] = {
    "kind": "labor",
    "category": "maintenance",
    "description": "更换机油机滤",
    "quantity": 1,
    "unit_price": 12_000,
}
"""One order line: ¥120.00 of maintenance labour (amounts are in fen)."""


def serial() -> int:
    return next(_serial)


def vin(n: int) -> str:
    """A VIN with a correct check digit (position 9)."""
    body = f"LSVAU2180N2{n:06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def plate(n: int) -> str:
    return f"沪A{n % 100_000:05d}"


def phone(n: int) -> str:
    return f"139{n % 100_000_000:08d}"


def _created(response: Any, status: int = 201) -> dict[str, Any]:
    if response.status_code != status:
        raise AssertionError(f"{response.request.url}: {response.status_code} {response.text}")
    return dict(response.json())


async def create_customer(client: RoleClient, **fields: Any) -> dict[str, Any]:
    n = serial()
    body = {"name": f"张{n}", "phone": phone(n), **fields}
    return _created(await client.post("/api/v1/customers", json=body))


async def create_vehicle(client: RoleClient, customer_id: str, **fields: Any) -> dict[str, Any]:
    n = serial()
    body = {"customer_id": customer_id, "vin": vin(n), "plate": plate(n), **fields}
    return _created(await client.post("/api/v1/vehicles", json=body))


async def open_order(
    client: RoleClient,
    store_id: str,
    customer_id: str,
    vehicle_id: str,
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body = {
        "store_id": store_id,
        "customer_id": customer_id,
        "vehicle_id": vehicle_id,
        "lines": lines or [LINE],
    }
    return _created(await client.post("/api/v1/service-orders", json=body))


async def complete_order(client: RoleClient, order_id: str, mileage_km: int) -> dict[str, Any]:
    path = f"/api/v1/service-orders/{order_id}/complete"
    return _created(await client.post(path, json={"mileage_km": mileage_km}), 200)
