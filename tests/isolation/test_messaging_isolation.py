"""Break-in attempts on messaging: the demo chain's roles aimed at the demo shop's customer,
store and messages, and a store-scoped role aimed at another store of its own chain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import NotFound
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from tests.support.demo import Demo

CONSENT = {
    "consents": [
        {"purpose": "marketing", "channel": "sms", "granted": True, "source": "front_desk"}
    ]
}


async def _shop(demo: Demo) -> tuple[dict[str, str], dict[str, str]]:
    """The shop's owner opens a customer and logs a call: ids the chain must never reach."""
    token = await demo.token("owner@demo-shop.example", tenant="demo-shop")
    headers = {"Authorization": f"Bearer {token}"}
    customer = (
        await demo.client.post(
            "/api/v1/customers", json={"name": "刘备", "phone": "13700009999"}, headers=headers
        )
    ).json()
    store = (await demo.client.get("/api/v1/stores", headers=headers)).json()["items"][0]["id"]
    call = await demo.client.post(
        "/api/v1/messages/manual",
        headers=headers,
        json={
            "customer_id": customer["id"],
            "channel": "phone",
            "outcome": "reached",
            "store_id": store,
            "note": "约了周六",
        },
    )
    assert call.status_code == 201, call.text
    await demo.client.put(
        f"/api/v1/customers/{customer['id']}/consents", json=CONSENT, headers=headers
    )
    return {"customer": customer["id"], "store": store, "message": call.json()["id"]}, headers


async def test_no_chain_role_reaches_the_shops_consents_or_contact_log(demo: Demo) -> None:
    ids, shop_headers = await _shop(demo)
    before = (
        await demo.client.get(f"/api/v1/customers/{ids['customer']}/consents", headers=shop_headers)
    ).json()
    for role in ("hq_admin", "marketing", "store_manager", "service_advisor"):
        headers = await demo.headers(role)
        # When the chain reads or changes the shop customer's consent, Then 404 (or 403)
        url = f"/api/v1/customers/{ids['customer']}/consents"
        assert (await demo.client.get(url, headers=headers)).status_code == 404
        put = await demo.client.put(url, json=CONSENT, headers=headers)
        assert put.status_code in (403, 404), (role, put.status_code)
        # When it filters the log by the shop's customer, Then it sees nothing
        listed = await demo.client.get(
            "/api/v1/messages", headers=headers, params={"customer_id": ids["customer"]}
        )
        assert listed.status_code == 200 and listed.json()["items"] == []
        # When it logs a call against the shop's customer or store, Then 404 (or 403)
        own_store = await demo.store_id()
        for body in (
            {
                "customer_id": ids["customer"],
                "channel": "phone",
                "outcome": "reached",
                "store_id": own_store,
            },
            {
                "customer_id": ids["customer"],
                "channel": "phone",
                "outcome": "reached",
                "store_id": ids["store"],
            },
        ):
            manual = await demo.client.post("/api/v1/messages/manual", json=body, headers=headers)
            assert manual.status_code in (403, 404), (role, body, manual.text)
    # Then the shop's consent and log are as they were, and no id of the shop leaked
    after = (
        await demo.client.get(f"/api/v1/customers/{ids['customer']}/consents", headers=shop_headers)
    ).json()
    assert after == before
    shop_log = (await demo.client.get("/api/v1/messages", headers=shop_headers)).json()
    assert [m["id"] for m in shop_log["items"]] == [ids["message"]]


async def test_a_store_scoped_role_sees_and_logs_only_at_its_stores(demo: Demo) -> None:
    # Given a chain customer and a call logged at another store (SH002) by HQ
    hq = await demo.headers()
    customer = (
        await demo.client.post(
            "/api/v1/customers", json={"name": "关羽", "phone": "13700008888"}, headers=hq
        )
    ).json()
    other = await demo.store_id("SH002")
    logged = await demo.client.post(
        "/api/v1/messages/manual",
        headers=hq,
        json={
            "customer_id": customer["id"],
            "channel": "phone",
            "outcome": "reached",
            "store_id": other,
        },
    )
    assert logged.status_code == 201, logged.text
    # When SH001's advisor reads the log, Then that call is not there
    advisor = await demo.headers("service_advisor")
    seen = (
        await demo.client.get(
            "/api/v1/messages", headers=advisor, params={"customer_id": customer["id"]}
        )
    ).json()["items"]
    assert seen == []
    # When the advisor logs a call at SH002, Then 404
    refused = await demo.client.post(
        "/api/v1/messages/manual",
        headers=advisor,
        json={
            "customer_id": customer["id"],
            "channel": "phone",
            "outcome": "reached",
            "store_id": other,
        },
    )
    assert refused.status_code == 404


async def test_notify_refuses_another_tenants_customer(demo: Demo, runtime: Runtime) -> None:
    ids, _ = await _shop(demo)
    ours = (
        await demo.client.post(
            "/api/v1/customers",
            headers=await demo.headers(),
            json={"name": "张飞", "phone": "13700007777"},
        )
    ).json()
    async with runtime.sessions() as session, session.begin():
        chain = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
        with tenant_scope(chain):
            ctx: Any = await runtime.plugins.context(session, "membership")
            # When a chain plugin notifies the shop's customer, or its own customer at the
            # shop's store, Then not found
            with pytest.raises(NotFound):
                await ctx.notify(
                    customer_id=uuid.UUID(ids["customer"]),
                    purpose="service",
                    template="points_expiring",
                    data={},
                )
            with pytest.raises(NotFound):
                await ctx.notify(
                    customer_id=uuid.UUID(ours["id"]),
                    purpose="service",
                    template="points_expiring",
                    data={},
                    store_id=uuid.UUID(ids["store"]),
                )
