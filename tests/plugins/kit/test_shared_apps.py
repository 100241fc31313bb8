"""The kit builds an app once per plugin set and points it at each test's runtime
(pitstop/testing/apps.py): what is shared is only routing, never a test's data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from pitstop.settings import Settings
from pitstop.testing import plugin_app
from pitstop.testing.apps import APPS
from tests.plugins import sample


async def test_a_second_app_of_the_same_plugins_reaches_only_its_own_tenant(
    tmp_path: Path,
) -> None:
    # Given a first kit app with a customer of its own
    async with plugin_app(sample, directory=tmp_path) as first:
        await first.customer(name="张三", phone="13800138000")
        first_app, first_tenant = first.http.app, first.tenant_id
    # When a second app of the same plugin set starts, on a later clock
    later = dt.datetime(2031, 5, 1, 9, tzinfo=dt.UTC)
    async with plugin_app(sample, directory=tmp_path, start=later) as second:
        # Then the routing is the first one's, built once
        assert second.http.app is first_app
        # And it serves the second tenant's data, not the first's
        assert second.tenant_id != first_tenant
        listed = await second.client("hq_admin").get("/api/v1/customers")
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []
        # And its clock is the second runtime's
        order = await second.completed_order()
        assert order["completed_at"].startswith("2031-05-01")


async def test_an_app_held_by_one_test_is_not_lent_to_another(tmp_path: Path) -> None:
    # Given a kit app in use
    async with plugin_app(sample, directory=tmp_path) as outer:
        # When another one of the same plugins is opened inside it
        async with plugin_app(sample, directory=tmp_path) as inner:
            # Then each has an app of its own, each serving its own tenant
            assert inner.http.app is not outer.http.app
            for app in (outer, inner):
                response = await app.client("hq_admin").get("/api/v1/sample/hello")
                assert response.json()["tenant"] == str(app.tenant_id)
        # And the outer one still serves its tenant once the inner one is gone
        response = await outer.client("hq_admin").get("/api/v1/sample/hello")
        assert response.json()["tenant"] == str(outer.tenant_id)


def test_only_where_the_data_lives_may_differ_between_runtimes_sharing_an_app(
    tmp_path: Path,
) -> None:
    # Given the settings of two kit apps, each with a database of its own
    from pitstop.runtime import Runtime
    from pitstop.testing.apps import _key
    from pitstop.testing.tenant import settings_for

    def key(settings: Settings) -> object:
        return _key(Runtime.build(settings, installed_plugins=False, extra_plugins=[sample]))[0]

    first, second = settings_for(tmp_path / "a"), settings_for(tmp_path / "b")
    # Then they would share an app
    assert key(first) == key(second)
    # But a runtime whose tokens live shorter, or on another database, would not
    assert key(dataclasses.replace(first, token_ttl_seconds=60)) != key(second)
    on_postgres = "postgresql+asyncpg://pitstop_app@127.0.0.1/pitstop"
    assert key(dataclasses.replace(first, database_url=on_postgres)) != key(second)
    # And nothing is left leased once the kit apps above are closed
    assert not any(shelved.leased for shelved in APPS._shelf.values())
