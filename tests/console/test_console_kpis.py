"""HQ's KPI board at the console, without a browser: the figures are the insights API's for
the same days, the charts are server-drawn SVG images, a bad date is named beside its
field, and a store manager's board is their store's only."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar

from tests.console.support import customer_with_car, field_error, signed_in
from tests.support.demo import Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
DAYS = "from=2026-11-01&to=2026-11-30"


async def _completed_order(demo: Demo, store_code: str, price: int) -> None:
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


def _row(html: str, body_id: str, label: str) -> str:
    body = re.search(rf'<tbody id="{body_id}">(.*?)</tbody>', html, re.S)
    assert body, body_id
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', body.group(1), re.S)
    assert row, label
    return row.group(1)


async def test_the_board_shows_the_apis_figures_with_charts(app: Litestar, demo: Demo) -> None:
    # Given completed orders at SH001 and SH002 today
    await _completed_order(demo, "SH001", 38_800)
    await _completed_order(demo, "SH002", 12_000)
    api = await demo.client.get(
        f"/api/v1/insights/kpis?{DAYS}", headers=await demo.headers("hq_admin")
    )
    assert api.status_code == 200, api.text
    # When HQ opens the board for November
    hq = await signed_in(app, demo, "hq_admin")
    page = await hq.get(f"/console/hq/kpis/?{DAYS}")
    # Then the chain row is the API's revenue and orders, in yuan
    assert page.status_code == 200, page.text
    chain = _row(page.text, "chain", "连锁")
    revenue = api.json()["chain"]["revenue"]
    orders = api.json()["chain"]["orders"]
    assert f"¥{revenue / 100:,.2f}" in chain and f"<td>{orders}</td>" in chain
    # And every store the admin sees has its row, as in the API
    for store in api.json()["stores"]:
        assert f"¥{store['revenue'] / 100:,.2f}" in _row(page.text, "stores", store["code"])
    # And the revenue and per-store charts are SVG images (no inline script can run)
    for chart in ("chart-revenue", "chart-stores"):
        assert re.search(rf'id="{chart}" src="data:image/svg\+xml;charset=utf-8;base64,', page.text)
    assert "<script>" not in page.text and " style=" not in page.text
    # And the date range is kept in the picker
    assert 'name="from" id="from" value="2026-11-01"' in page.text


async def test_a_bad_range_is_named_and_a_managers_board_is_their_store_only(
    app: Litestar, demo: Demo
) -> None:
    hq = await signed_in(app, demo, "hq_admin")
    # When a date cannot be read, or the range ends before it starts
    unreadable = await hq.get("/console/hq/kpis/?from=2026-13-01")
    backwards = await hq.get("/console/hq/kpis/?from=2026-11-10&to=2026-11-01")
    # Then each is a 422 page with the message beside the field at fault
    assert unreadable.status_code == backwards.status_code == 422
    assert field_error(unreadable.text, "from") == "必须是日期（YYYY-MM-DD）"
    assert field_error(backwards.text, "to") == "早于开始日期"
    # Given SH001's manager and SH002's id
    headers = await demo.headers("hq_admin")
    stores = (await demo.client.get("/api/v1/stores", headers=headers)).json()["items"]
    sh002 = next(s["id"] for s in stores if s["code"] == "SH002")
    manager = await signed_in(app, demo, "store_manager")
    # When they ask for SH002's board by URL
    page = await manager.get(f"/console/hq/kpis/?{DAYS}&store={sh002}")
    # Then they get their own store's board: SH002 is neither offered nor shown
    assert page.status_code == 200, page.text
    assert "SH002" not in page.text and sh002 not in page.text
    assert _row(page.text, "stores", "SH001")
    # And a technician may not open the board at all
    technician = await signed_in(app, demo, "technician")
    assert (await technician.get("/console/hq/kpis/")).status_code == 403
