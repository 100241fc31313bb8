"""The core's code route and the ``redeem_code`` hook: who is asked, what the core checks.

Two minimal plugins answer codes: ``coupons`` knows ``FIVE`` (¥5 off maintenance) and
``GREEDY`` (more than the order holds); ``stamps`` knows ``STAMP``. Neither is membership:
discounts are the core's concept, any plugin may offer one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pitstop.sdk import DiscountOffer, PluginContext, PluginInfo, ServiceOrderView, hookimpl
from pitstop.testing import PluginApp, plugin_app


class Coupons:
    @staticmethod
    @hookimpl
    def plugin_info() -> PluginInfo:
        return PluginInfo(name="coupons", version="0.0.1", title="Coupons", sdk=">=1.2,<2")

    @staticmethod
    @hookimpl
    async def redeem_code(
        ctx: PluginContext, order: ServiceOrderView, code: str
    ) -> DiscountOffer | None:
        if code == "FIVE":
            return DiscountOffer("¥5 coupon", {"maintenance": 500})
        if code == "GREEDY":
            return DiscountOffer("too much", {"maintenance": order.amounts["maintenance"] + 1})
        return None


class Stamps:
    @staticmethod
    @hookimpl
    def plugin_info() -> PluginInfo:
        return PluginInfo(name="stamps", version="0.0.1", title="Stamps", sdk=">=1.2,<2")

    @staticmethod
    @hookimpl
    async def redeem_code(
        ctx: PluginContext, order: ServiceOrderView, code: str
    ) -> DiscountOffer | None:
        return DiscountOffer("stamp card", {"maintenance": 100}) if code == "STAMP" else None


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[PluginApp]:
    async with plugin_app(Coupons(), Stamps(), directory=tmp_path) as kit:
        yield kit


async def _redeem(app: PluginApp, order: dict[str, Any], code: str) -> Any:
    return await app.client().post(
        f"/api/v1/service-orders/{order['id']}/vouchers", json={"code": code}
    )


async def test_each_plugin_is_asked_until_one_knows_the_code(app: PluginApp) -> None:
    # Given an open ¥120 maintenance order
    order = await app.order()
    # When one plugin's code and then the other's are typed
    first = await _redeem(app, order, "FIVE")
    second = await _redeem(app, order, "STAMP")
    # Then both discounts are lines of the order, and the totals follow
    assert first.status_code == second.status_code == 200, second.text
    body = second.json()
    discounts = [(x["description"], x["amount"]) for x in body["lines"] if x["kind"] == "discount"]
    assert discounts == [("¥5 coupon", 500), ("stamp card", 100)]
    assert (body["total"], body["discount_total"]) == (12_000 - 600, 600)


async def test_a_code_nobody_knows_and_an_offer_past_the_order_are_refused(
    app: PluginApp,
) -> None:
    # Given an open ¥120 order
    order = await app.order()
    # When a code nobody knows is typed, and one whose offer exceeds the order
    unknown = await _redeem(app, order, "NOPE")
    greedy = await _redeem(app, order, "GREEDY")
    # Then each is a 422 naming code, and the order is untouched
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_code")
    assert (greedy.status_code, greedy.json()["code"]) == (422, "discount_invalid")
    assert greedy.json()["errors"][0]["field"] == "code"
    got = await app.client().get(f"/api/v1/service-orders/{order['id']}")
    assert got.json()["total"] == 12_000


async def test_a_completed_order_takes_no_code_and_a_technician_none_at_all(
    app: PluginApp,
) -> None:
    # Given a completed order, When a code is typed on it, Then 409 (it takes no changes)
    done = await app.completed_order()
    assert (await _redeem(app, done, "FIVE")).status_code == 409
    # And a technician (no service_orders:write) cannot type one on an open order
    order = await app.order()
    technician = await app.client("technician").post(
        f"/api/v1/service-orders/{order['id']}/vouchers", json={"code": "FIVE"}
    )
    assert technician.status_code == 403
