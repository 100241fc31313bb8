"""Turning a plugin on per tenant: validated settings, guarded routes, set-up once, audited."""

from __future__ import annotations

from sqlalchemy import func, select

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from tests.support.demo import Demo


async def _put(demo: Demo, body: dict, role: str = "hq_admin") -> tuple[int, dict]:
    response = await demo.client.put(
        "/api/v1/plugins/sample", json=body, headers=await demo.headers(role)
    )
    return response.status_code, response.json()


async def _audit_count(runtime: Runtime, slug: str, action: str) -> int:
    async with runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant).where(Tenant.slug == slug))).one()
        with tenant_scope(tenant.id):
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == action, AuditEntry.resource_id == "sample")
                )
                or 0
            )


async def test_a_disabled_plugin_answers_404_plugin_disabled(demo: Demo) -> None:
    # Given the sample plugin installed but not enabled for the demo chain
    response = await demo.client.get("/api/v1/sample/hello", headers=await demo.headers("hq_admin"))
    # Then its route answers 404 with the code plugin_disabled
    assert response.status_code == 404
    assert response.json()["code"] == "plugin_disabled"


async def test_enabling_serves_routes_for_that_tenant_only(demo: Demo, runtime: Runtime) -> None:
    # When HQ enables the plugin with a greeting
    status, body = await _put(demo, {"enabled": True, "settings": {"greeting": "你好"}})
    assert status == 200, body
    assert body["enabled"] is True
    assert body["settings"] == {"greeting": "你好", "limit": 10}
    # Then its route answers with the tenant's settings
    response = await demo.client.get("/api/v1/sample/hello", headers=await demo.headers("hq_admin"))
    assert response.status_code == 200
    assert response.json()["greeting"] == "你好"
    # And a role without the plugin's permission gets 403
    response = await demo.client.get(
        "/api/v1/sample/hello", headers=await demo.headers("service_advisor")
    )
    assert response.status_code == 403
    # And the demo shop, which did not enable it, still gets plugin_disabled
    shop = await demo.token("owner@demo-shop.example", tenant="demo-shop")
    response = await demo.client.get(
        "/api/v1/sample/hello", headers={"Authorization": f"Bearer {shop}"}
    )
    assert response.json()["code"] == "plugin_disabled"
    # And the set-up hook ran once, and the change was audited as plugin.changed
    assert await _audit_count(runtime, "demo-chain", "sample.setup") == 1
    assert await _audit_count(runtime, "demo-chain", "plugin.changed") == 1
    assert await _audit_count(runtime, "demo-shop", "sample.setup") == 0


async def test_settings_are_validated_and_each_bad_field_named(demo: Demo) -> None:
    # When settings have a wrong type, a rule violation and an unknown key
    status, body = await _put(
        demo, {"enabled": True, "settings": {"greeting": 5, "limit": 0, "colour": "red"}}
    )
    # Then 422 names every bad field, and nothing is switched on
    assert status == 422
    assert body["code"] == "invalid_settings"
    fields = sorted(e["field"] for e in body["errors"])
    assert fields == ["settings.colour", "settings.greeting", "settings.limit"]
    status, body = await _put(demo, {"enabled": False})
    assert body["enabled"] is False


async def test_omitted_settings_keep_the_current_ones_and_setup_runs_once(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the plugin enabled with limit 3
    await _put(demo, {"enabled": True, "settings": {"limit": 3}})
    # When it is disabled and enabled again without settings
    await _put(demo, {"enabled": False})
    status, body = await _put(demo, {"enabled": True})
    # Then the settings are kept
    assert status == 200
    assert body["settings"]["limit"] == 3
    # And set-up ran on each off → on transition only (twice), re-saving does not run it
    await _put(demo, {"enabled": True, "settings": {"greeting": "hi"}})
    assert await _audit_count(runtime, "demo-chain", "sample.setup") == 2


async def test_patch_changes_settings_without_restating_enabled(demo: Demo) -> None:
    # Given the plugin enabled with limit 3
    await _put(demo, {"enabled": True, "settings": {"limit": 3}})
    headers = await demo.headers("hq_admin")
    # When only a setting is patched
    response = await demo.client.patch(
        "/api/v1/plugins/sample", json={"settings": {"greeting": "hi"}}, headers=headers
    )
    # Then it stays enabled and keeps its other settings
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["enabled"] is True
    assert body["settings"] == {"greeting": "hi", "limit": 3}
    # And a patch of enabled alone keeps the settings
    off = await demo.client.patch(
        "/api/v1/plugins/sample", json={"enabled": False}, headers=headers
    )
    assert off.json()["enabled"] is False and off.json()["settings"]["greeting"] == "hi"


async def test_only_plugins_manage_may_switch_and_everyone_may_list(demo: Demo) -> None:
    status, _ = await _put(demo, {"enabled": True}, role="store_manager")
    assert status == 403
    response = await demo.client.get("/api/v1/plugins", headers=await demo.headers("technician"))
    assert response.status_code == 200
    names = [p["name"] for p in response.json()["items"]]
    assert {"sample", "membership", "complaints"} <= set(names)
    sample = next(p for p in response.json()["items"] if p["name"] == "sample")
    assert sample["settings_schema"]["$ref"].endswith("SampleSettings")
    assert sample["version"] == "1.2.3"


async def test_an_unknown_plugin_is_404(demo: Demo) -> None:
    status, _ = await _put(demo, {"enabled": True})
    assert status == 200
    response = await demo.client.put(
        "/api/v1/plugins/nope", json={"enabled": True}, headers=await demo.headers("hq_admin")
    )
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_plugin"
