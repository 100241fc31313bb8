"""Plugin tiles on the KPI board: membership's and complaints', and a failing plugin's.

On the test kit (a fresh tenant with one store, S001), membership with auto-enrolment off,
so a member is exactly a customer enrolled by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import pitstop_complaints
import pitstop_membership
from pitstop.sdk import KpiTile, Period, PluginContext, PluginInfo, hookimpl
from pitstop.testing import PluginApp, plugin_app

TODAY = {"from": "2026-03-10", "to": "2026-03-10"}  # the kit's clock starts on 10 March


def line(fen: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "labor",
            "category": "maintenance",
            "description": "保养",
            "quantity": 1,
            "unit_price": fen,
        }
    ]


class Broken:
    @staticmethod
    @hookimpl
    def plugin_info() -> PluginInfo:
        return PluginInfo(name="broken", version="0.0.1", title="Broken", sdk=">=1.3,<2")

    @staticmethod
    @hookimpl
    async def kpis(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile:
        raise RuntimeError("the tile's query failed")


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[PluginApp]:
    async with plugin_app(
        pitstop_membership,
        pitstop_complaints,
        Broken(),
        settings={"auto_enrol": "off"},
        directory=tmp_path,
    ) as kit:
        yield kit


async def test_tiles_show_points_owed_member_tickets_and_a_failed_plugin(app: PluginApp) -> None:
    # Given a member who spent ¥300 and a non-member who spent ¥100 and ¥200 today
    admin = app.client()
    member = await app.customer()
    assert (
        await admin.post(f"/api/v1/membership/accounts/{member['id']}/enrol")
    ).status_code == 200
    other = await app.customer()
    await app.completed_order(member["id"], lines=line(30_000))
    await app.completed_order(other["id"], lines=line(10_000))
    await app.completed_order(other["id"], lines=line(20_000))
    # And 500 points granted to the member by hand
    granted = await admin.post(
        f"/api/v1/membership/accounts/{member['id']}/adjust",
        json={"points": 500, "reason": "welcome", "store_id": app.stores["S001"]},
    )
    assert granted.status_code == 200, granted.text
    # When HQ reads today's board
    response = await admin.get("/api/v1/insights/kpis", params=TODAY)
    assert response.status_code == 200, response.text
    tiles = {t["plugin"]: t for t in response.json()["plugins"]}
    # Then membership owes 500 points and splits the average ticket by membership
    assert tiles["membership"]["figures"] == {
        "points_outstanding": 500,
        "members": 1,
        "member_orders": 1,
        "member_average_ticket": 30_000,
        "non_member_orders": 2,
        "non_member_average_ticket": (10_000 + 20_000) // 2,
    }
    # And complaints has nothing to measure yet: counts are 0, rates unknown
    assert tiles["complaints"]["figures"] == {
        "complaints": 0,
        "first_response_sla": None,
        "resolution_sla": None,
        "first_contact_resolution_rate": None,
    }
    # And the failing plugin is marked, without taking the board down
    assert tiles["broken"] == {
        "title": "Broken",
        "figures": {},
        "plugin": "broken",
        "error": "unavailable",
        "previous": None,
    }
    # And marketing, who may not see complaint KPIs, gets no complaints tile
    marketing = await app.client("marketing").get("/api/v1/insights/kpis", params=TODAY)
    assert "complaints" not in {t["plugin"] for t in marketing.json()["plugins"]}


async def test_with_a_comparison_each_tile_carries_the_earlier_periods_figures(
    app: PluginApp,
) -> None:
    # Given a member's ¥300 order on 10 March, and nothing on the 11th
    member = await app.customer()
    enrolled = await app.client().post(f"/api/v1/membership/accounts/{member['id']}/enrol")
    assert enrolled.status_code == 200, enrolled.text
    await app.completed_order(member["id"], lines=line(30_000))
    app.clock.advance(days=1)
    # When HQ reads the 11th against the period before it
    response = await app.client().get(
        "/api/v1/insights/kpis",
        params={"from": "2026-03-11", "to": "2026-03-11", "compare": "previous_period"},
    )
    assert response.status_code == 200, response.text
    tiles = {t["plugin"]: t for t in response.json()["plugins"]}
    # Then membership's tile shows no orders on the 11th and the member's order beside it
    membership = tiles["membership"]
    assert (membership["figures"]["member_orders"], membership["previous"]["member_orders"]) == (
        0,
        1,
    )
    assert membership["previous"]["member_average_ticket"] == 30_000
    # And the failing plugin's tile has nothing to compare
    assert tiles["broken"]["previous"] is None
