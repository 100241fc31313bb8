"""The public test kit drives the real app: routes, roles, events, tasks and schedules.

The sample plugin (tests/plugins/sample.py) records an audit row for each thing it
handles, so each test reads the effect the way a plugin's own test would: through the API.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pitstop.testing import DrainError, PluginApp, plugin_app
from tests.plugins import sample


async def _audited(app: PluginApp, action: str) -> int:
    response = await app.client("hq_admin").get(f"/api/v1/audit?action={action}")
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def test_the_plugin_is_on_for_a_fresh_tenant_with_its_settings(tmp_path: Path) -> None:
    # Given the sample plugin with a greeting of its own
    async with plugin_app(sample, settings={"greeting": "你好"}, directory=tmp_path) as app:
        # When the HQ admin calls its route
        response = await app.client("hq_admin").get("/api/v1/sample/hello")
        # Then it answers for the kit's tenant with the given settings
        assert response.status_code == 200, response.text
        assert response.json() == {"greeting": "你好", "tenant": str(app.tenant_id)}
        # And its set-up hook ran when it was enabled
        assert await _audited(app, "sample.setup") == 1


async def test_roles_are_what_the_permission_table_grants(tmp_path: Path) -> None:
    async with plugin_app(sample, directory=tmp_path) as app:
        # Given a technician at the first store (sample:read is granted to hq_admin only)
        technician = app.client("technician")
        # Then the plugin's route refuses them, and the core's routes take them as staff
        assert (await technician.get("/api/v1/sample/hello")).status_code == 403
        assert (await technician.get("/api/v1/stores")).status_code == 200
        # And a store is named only for a store-scoped role
        with pytest.raises(ValueError, match="not store-scoped"):
            app.client("hq_admin", store="S001")


async def test_a_completed_order_reaches_the_subscription_only_when_drained(
    tmp_path: Path,
) -> None:
    async with plugin_app(sample, directory=tmp_path) as app:
        # Given a completed service order made through the API
        order = await app.completed_order()
        assert order["status"] == "completed"
        assert [e["order_id"] for e in await app.events("service_order.completed")] == [order["id"]]
        assert await _audited(app, "sample.seen") == 0
        # When the queue is drained
        await app.drain()
        # Then the sample plugin handled it once (it subscribes to no other core event)
        assert await _audited(app, "sample.seen") == 1
        # And a second drain finds nothing left to run
        assert await app.drain() == 0


async def test_a_deferred_task_runs_when_the_clock_reaches_it(tmp_path: Path) -> None:
    async with plugin_app(sample, directory=tmp_path) as app:
        # Given a task deferred three days ahead
        async with app.context() as ctx:
            ctx.defer("remind", at=ctx.now() + dt.timedelta(days=3), note="oil")
        # When the queue is drained at once, nothing runs; when the clock has moved on, it does
        assert await app.drain() == 0
        assert await _audited(app, "sample.task") == 0
        app.clock.advance(days=3)
        # Then the task runs once, at its time
        assert await app.drain() == 1
        assert await _audited(app, "sample.task") == 1


async def test_a_named_schedule_runs_for_the_tenant(tmp_path: Path) -> None:
    async with plugin_app(sample, directory=tmp_path) as app:
        await app.drain(schedule="nightly")
        assert await _audited(app, "sample.nightly") == 1
        # And a schedule the plugin does not have is named, not silently skipped
        with pytest.raises(LookupError, match="no schedule 'weekly'"):
            await app.drain(schedule="weekly")


async def test_a_handler_that_keeps_failing_fails_the_drain(tmp_path: Path) -> None:
    async with plugin_app(sample, directory=tmp_path) as app:
        # Given an event the sample handler fails on more often than the worker retries
        async with app.context() as ctx:
            event_id = await ctx.emit("sample.happened", {"order_id": "o-1", "total": 1})
        sample.FAILURES[str(event_id)] = 99
        try:
            # Then drain() raises, naming the delivery, with the handler's error as cause
            with pytest.raises(DrainError) as raised:
                await app.drain()
            assert str(raised.value.__cause__) == "sample handler failed on purpose"
            assert "pitstop.deliver_event" in str(raised.value)
        finally:
            sample.FAILURES.clear()
        assert await _audited(app, "sample.seen") == 0


async def test_a_client_outlives_its_token(tmp_path: Path) -> None:
    async with plugin_app(sample, directory=tmp_path) as app:
        client = app.client("hq_admin")
        assert (await client.get("/api/v1/sample/hello")).status_code == 200
        # When a day passes (tokens last 30 minutes by the same clock)
        app.clock.advance(days=1)
        # Then the client signs in again rather than failing
        assert (await client.get("/api/v1/sample/hello")).status_code == 200


async def test_an_installed_plugin_is_named_by_its_entry_point(tmp_path: Path) -> None:
    # Given the membership plugin, installed under the entry point "membership"
    async with plugin_app("membership", directory=tmp_path) as app:
        # Then the kit loads it by name and turns it on
        assert app.plugin == "membership"
        response = await app.client("hq_admin").get("/api/v1/plugins/membership")
        assert response.json()["enabled"] is True


async def test_a_name_nothing_installs_is_refused() -> None:
    with pytest.raises(LookupError, match="no plugin named 'nosuch'"):
        async with plugin_app("nosuch"):
            pass


async def test_store_scoped_roles_work_at_the_store_named(tmp_path: Path) -> None:
    # Given a chain of two stores
    stores = [
        {"code": "S001", "name": "One", "city": "上海"},
        {"code": "S002", "name": "Two", "city": "杭州"},
    ]
    async with plugin_app(sample, stores=stores, directory=tmp_path) as app:
        # And an order at the second store
        order = await app.order(store="S002")
        path = f"/api/v1/service-orders/{order['id']}"
        # Then its own store's manager reads it, the other store's does not see it
        assert (await app.client("store_manager", store="S002").get(path)).status_code == 200
        assert (await app.client("store_manager").get(path)).status_code == 404
