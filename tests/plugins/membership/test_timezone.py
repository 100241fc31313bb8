"""The programme counts days in the tenant's time zone unless its settings name another."""

from __future__ import annotations

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from pitstop_membership.settings import programme
from tests.support.demo import Demo


async def test_the_tenants_zone_is_used_unless_the_settings_name_one(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the demo chain moved to Urumqi time, with membership on (from its manifest)
    async with runtime.sessions() as session, session.begin():
        chain = (await session.scalars(select(Tenant).where(Tenant.slug == "demo-chain"))).one()
        chain.timezone = "Asia/Urumqi"
    async with runtime.sessions() as session:
        with tenant_scope(chain.id):
            ctx = await runtime.plugins.context(session, "membership")
            # Then the context and the programme both count in Urumqi
            assert ctx.timezone == "Asia/Urumqi"
            assert programme(ctx).zone.key == "Asia/Urumqi"
    # When HQ names a zone for the programme itself
    response = await demo.client.put(
        "/api/v1/plugins/membership",
        json={"enabled": True, "settings": {"timezone": "Asia/Shanghai"}},
        headers=await demo.headers("hq_admin"),
    )
    assert response.status_code == 200, response.text
    # Then that one wins
    async with runtime.sessions() as session:
        with tenant_scope(chain.id):
            ctx = await runtime.plugins.context(session, "membership")
            assert programme(ctx).zone.key == "Asia/Shanghai"
