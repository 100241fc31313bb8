"""Isolation as an attacker tries it: the demo chain's staff with the demo shop's customer
on the WeCom contact routes (404, the shop's link untouched), and the chain's channel
finding no address for the shop's customer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from pitstop_wecom.customers import WecomCustomerChannel
from tests.support.demo import Demo

SHOP_ADMIN = "owner@demo-shop.example"
EXTERNAL = "wmShopCustomer01"
SETTINGS = {"corp_id": "ww0123", "contact_secret": "s"}


async def _enable(demo: Demo, headers: dict[str, str]) -> None:
    body = {"enabled": True, "settings": SETTINGS}
    response = await demo.client.put("/api/v1/plugins/wecom", json=body, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # the walls RLS adds
async def test_another_tenants_customer_is_not_found_and_its_link_untouched(
    demo: Demo, runtime: Runtime
) -> None:
    # Given a customer of the demo shop linked to a WeCom contact by the shop
    shop = {"Authorization": f"Bearer {await demo.token(SHOP_ADMIN, 'demo-shop')}"}
    await _enable(demo, shop)
    made = await demo.client.post(
        "/api/v1/customers", headers=shop, json={"name": "刘备", "phone": "13700009997"}
    )
    customer = made.json()["id"]
    path = f"/api/v1/wecom/contacts/{customer}"
    linked = await demo.client.put(path, headers=shop, json={"external_userid": EXTERNAL})
    assert linked.status_code == 200, linked.text
    # When the chain's staff aim the contact routes at that customer
    chain = await demo.headers()
    await _enable(demo, chain)
    advisor = await demo.headers("service_advisor")
    for headers in (chain, advisor):
        relink = await demo.client.put(path, headers=headers, json={"external_userid": "wmX"})
        unlink = await demo.client.delete(path, headers=headers)
        # Then each is a 404
        assert (relink.status_code, unlink.status_code) == (404, 404)
    # And the shop's link is as the shop left it
    export = await demo.client.get(f"/api/v1/customers/{customer}/export", headers=shop)
    assert export.json()["plugins"]["wecom"]["external_userid"] == EXTERNAL
    # And in the chain's scope the channel finds no address for the shop's customer
    async with runtime.sessions() as session, session.begin():
        slug = Tenant.slug == "demo-chain"
        with tenant_scope((await session.scalars(select(Tenant.id).where(slug))).one()):
            ctx = await runtime.plugins.context(session, "wecom")
            found = await WecomCustomerChannel().address(ctx, uuid.UUID(customer))
    assert found is None
