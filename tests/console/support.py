"""A console user in a test: a cookie jar of their own, the CSRF token sent on every post."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from pitstop.console.router import CSRF_COOKIE
from pitstop.console.session import ACCESS_COOKIE
from pitstop.testing.records import phone, plate, serial, vin
from tests.support.demo import CHAIN_LOGINS, Demo

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Browserless:
    """One person at the console through the test client (no browser): what a form post
    sends, with the CSRF token read from the page as a browser would."""

    def __init__(self, http: AsyncTestClient[Litestar]) -> None:
        self.http = http

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.http.get(path, follow_redirects=False, **kwargs)

    async def post(self, path: str, data: Any, *, csrf: bool = True) -> Any:
        if csrf:
            if CSRF_COOKIE not in self.http.cookies:
                await self.get("/console/login")
            data = [("_csrf_token", self.http.cookies[CSRF_COOKIE]), *_pairs(data)]
        return await self.http.post(path, data=_fields(_pairs(data)), follow_redirects=False)


def _pairs(data: Any) -> list[tuple[str, str]]:
    return list(data.items()) if isinstance(data, dict) else list(data)


def _fields(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated names (several lines, several checkboxes) as one list each, in order."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


async def signed_in(app: Litestar, demo: Demo, role: str, tenant: str = "demo-chain") -> Any:
    """A console session for ``role`` of the demo chain (or an e-mail of ``tenant``), opened
    as a login opens it but without argon2 (the sign-in form has a test of its own)."""
    email = CHAIN_LOGINS.get(role, role)
    token = await demo.token(email, tenant)
    http = AsyncTestClient(app=app)  # not entered: the test's own client runs the lifespan
    http.cookies.set(ACCESS_COOKIE, token)
    return Browserless(http)


async def customer_with_car(demo: Demo, **fields: Any) -> tuple[str, str, str]:
    """(customer id, phone, vehicle id) made through the API by the chain's HQ admin."""
    headers = await demo.headers("hq_admin")
    n = serial()
    body = {"name": f"张{n}", "phone": phone(n), **fields}
    customer = (await demo.client.post("/api/v1/customers", json=body, headers=headers)).json()
    car = {"customer_id": customer["id"], "vin": vin(n), "plate": plate(n)}
    vehicle = (await demo.client.post("/api/v1/vehicles", json=car, headers=headers)).json()
    return str(customer["id"]), body["phone"], str(vehicle["id"])


async def completed_order(demo: Demo, store_code: str, price: int) -> tuple[str, str]:
    """A new customer's car serviced and completed at ``store_code``: (customer, vehicle)."""
    headers = await demo.headers("hq_admin")
    customer_id, _, vehicle_id = await customer_with_car(demo)
    stores = (await demo.client.get("/api/v1/stores", headers=headers)).json()["items"]
    store_id = next(s["id"] for s in stores if s["code"] == store_code)
    line = {"kind": "labor", "category": "maintenance", "description": "保养", "quantity": 1}
    body = {"store_id": store_id, "customer_id": customer_id, "vehicle_id": vehicle_id,
            "lines": [{**line, "unit_price": price}]}  # fmt: skip
    order = (await demo.client.post("/api/v1/service-orders", json=body, headers=headers)).json()
    done = await demo.client.post(
        f"/api/v1/service-orders/{order['id']}/complete", json={"mileage_km": 1000}, headers=headers
    )
    assert done.status_code == 200, done.text
    return customer_id, vehicle_id


def field_error(html: str, field: str) -> str | None:
    """The error shown beside ``field`` (the <small> after its input), or None."""
    match = re.search(
        rf'name="{re.escape(field)}"[^>]*>\s*(?:<[^s][^>]*>\s*)*<small class="error"[^>]*>([^<]+)<',
        html,
    )
    return match.group(1).strip() if match else None
