"""The customer list's ``tier`` filter: membership answers it in SQL through the
``customer_filter`` hook, with an unexpired override winning, AND-ed with the other filters.

On both databases (the kit's SQLite file and the suite's PostgreSQL): the filter is SQL the
plugin writes, and the override rule compares instants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import pitstop_membership
from pitstop.testing import PluginApp, plugin_app
from tests.conftest import BACKENDS
from tests.support.kit import DEMO_STORES

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def app(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[PluginApp]:
    async with plugin_app(
        pitstop_membership, stores=DEMO_STORES, start=START, directory=tmp_path, **server_database
    ) as kit:
        yield kit


async def _member(app: PluginApp, store: str, tier: str | None = None) -> str:
    customer = await app.customer(home_store_id=app.stores[store])
    admin = app.client()
    enrolled = await admin.post(f"/api/v1/membership/accounts/{customer['id']}/enrol")
    assert enrolled.status_code == 200, enrolled.text
    if tier is not None:
        until = (START + dt.timedelta(days=30)).date().isoformat()
        moved = await admin.put(
            f"/api/v1/membership/accounts/{customer['id']}/tier",
            json={"tier": tier, "reason": "VIP 客户", "until": until},
        )
        assert moved.status_code == 200, moved.text
    return str(customer["id"])


async def _listed(app: PluginApp, **params: Any) -> Any:
    return await app.client().get("/api/v1/customers", params=params)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_tier_filters_members_by_the_tier_in_force(app: PluginApp) -> None:
    # Given a regular member and a member put on gold until April, at SH001, a gold
    # member at SH002, and a customer who is not a member
    regular = await _member(app, "SH001")
    gold = await _member(app, "SH001", "gold")
    elsewhere = await _member(app, "SH002", "gold")
    await app.customer()
    # When HQ lists gold members, and regular ones
    golds = await _listed(app, tier="gold")
    regulars = await _listed(app, tier="regular")
    # Then each list holds exactly the members of that tier
    assert {c["id"] for c in golds.json()["items"]} == {gold, elsewhere}
    assert {c["id"] for c in regulars.json()["items"]} == {regular}
    # And combined with a store, only that store's gold member is left
    mine = await _listed(app, tier="gold", store_id=app.stores["SH001"])
    assert mine.status_code == 200, mine.text
    assert {c["id"] for c in mine.json()["items"]} == {gold}
    # When the overrides end
    app.clock.set(START + dt.timedelta(days=45))
    # Then those members are back on the tier they earned
    assert (await _listed(app, tier="gold")).json()["items"] == []
    back = {c["id"] for c in (await _listed(app, tier="regular")).json()["items"]}
    assert back == {regular, gold, elsewhere}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_unknown_tier_is_a_422_naming_it(app: PluginApp) -> None:
    # When the list is asked for a tier the programme does not have, or a malformed one
    unknown = await _listed(app, tier="platinum")
    malformed = await _listed(app, tier="Gold; DROP")
    # Then both are 422s naming ``tier``, never a 500
    for response in (unknown, malformed):
        assert response.status_code in (400, 422), response.text
        assert "tier" in response.text
