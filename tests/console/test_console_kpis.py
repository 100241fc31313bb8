"""HQ's KPI board at the console, without a browser: the figures are the insights API's for
the same days, the charts are server-drawn SVG images, a bad date is named beside its
field, and a store manager's board is their store's only."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from litestar import Litestar

from tests.conftest import Drain
from tests.console.support import completed_order, field_error, signed_in
from tests.support.demo import Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
DAYS = "from=2026-11-01&to=2026-11-30"


def _row(html: str, body_id: str, label: str) -> str:
    body = re.search(rf'<tbody id="{body_id}">(.*?)</tbody>', html, re.S)
    assert body, body_id
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', body.group(1), re.S)
    assert row, label
    return row.group(1)


async def test_the_board_shows_the_apis_figures_with_charts(app: Litestar, demo: Demo) -> None:
    # Given completed orders at SH001 and SH002 today, and HQ's board of today
    await completed_order(demo, "SH001", 38_800)
    await completed_order(demo, "SH002", 12_000)
    hq = await signed_in(app, demo, "hq_admin")
    today = re.search(
        r'name="to" id="to" value="([\d-]+)"', (await hq.get("/console/hq/kpis/")).text
    )
    assert today
    # And the API's figures of the day after against the period before (today)
    after = dt.date.fromisoformat(today.group(1)) + dt.timedelta(days=1)
    days = f"from={after}&to={after}"
    api = await demo.client.get(
        f"/api/v1/insights/kpis?{days}&compare=previous_period",
        headers=await demo.headers("hq_admin"),
    )
    assert api.status_code == 200, api.text
    # When HQ opens the board for the day after today
    page = await hq.get(f"/console/hq/kpis/?{days}")
    # Then the chain row is the API's revenue and orders, in yuan, and the period before's
    # revenue is the API's too (today's orders)
    assert page.status_code == 200, page.text
    chain = _row(page.text, "chain", "连锁")
    revenue = api.json()["chain"]["revenue"]
    orders = api.json()["chain"]["orders"]
    before = api.json()["chain"]["previous"]["revenue"]
    assert before >= 38_800 + 12_000
    assert f"¥{revenue / 100:,.2f}" in chain and f"<td>{orders}</td>" in chain
    assert chain.rstrip().endswith(f'<td class="money">¥{before / 100:,.2f}</td>')
    # And every store the admin sees has its row, its revenue then and before as in the API
    for store in api.json()["stores"]:
        row = _row(page.text, "stores", store["code"])
        assert f"¥{store['revenue'] / 100:,.2f}" in row
        assert row.rstrip().endswith(
            f'<td class="money">¥{store["previous"]["revenue"] / 100:,.2f}</td>'
        )
    # And the revenue and per-store charts are SVG images (no inline script can run)
    for chart in ("chart-revenue", "chart-stores"):
        assert re.search(rf'id="{chart}" src="data:image/svg\+xml;charset=utf-8;base64,', page.text)
    assert "<script>" not in page.text and " style=" not in page.text
    # And the date range is kept in the picker
    assert f'name="from" id="from" value="{after}"' in page.text


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


async def test_plugin_tiles_read_in_chinese_with_money_in_yuan(
    app: Litestar, demo: Demo, worker: Drain, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a completed order of ¥388.00 this month, its customer enrolled by membership
    await completed_order(demo, "SH001", 38_800)
    await worker()
    api = await demo.client.get("/api/v1/insights/kpis", headers=await demo.headers("hq_admin"))
    tiles = {t["plugin"]: t["figures"] for t in api.json()["plugins"]}
    assert tiles["membership"]["member_average_ticket"] == 38_800
    # When HQ opens this month's board (Chinese, the default)
    hq = await signed_in(app, demo, "hq_admin")
    host, asked = demo.runtime.plugins, []
    tiles = host.kpi_tiles

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["period"])
        return await tiles(*args, **kwargs)

    monkeypatch.setattr(host, "kpi_tiles", recorded)
    page = await hq.get("/console/hq/kpis/")
    # Then the plugins are asked for the days shown only (no tile shows the period before)
    assert len(asked) == 1, asked
    # Then the membership tile, under its Chinese title, shows the member average ticket in
    # yuan under its label
    membership = _tile(page.text, "membership")
    assert "<h2>会员与积分</h2>" in membership and "Membership" not in membership
    assert "<dt>会员客单价</dt><dd>¥388.00</dd>" in membership and "38800" not in membership
    # And retention's figures are labelled in Chinese, no raw key left on any tile
    assert "<dt>已发提醒</dt>" in _tile(page.text, "retention")
    for key in ("reminders_sent", "member_average_ticket", "first_response_sla", "at_risk"):
        assert key not in page.text
    # When the reader switches to English
    hq.http.cookies.set("pitstop_lang", "en")
    english = await hq.get("/console/hq/kpis/")
    # Then the same tiles read in English, titles too, the money still formatted
    membership = _tile(english.text, "membership")
    assert "<h2>Membership &amp; points</h2>" in membership and "会员" not in membership
    assert "<dt>Member average ticket</dt><dd>¥388.00</dd>" in membership
    retention = _tile(english.text, "retention")
    assert "<h2>Follow-ups and recalls</h2>" in retention and "<dt>Reminders sent</dt>" in retention


def _tile(html: str, plugin: str) -> str:
    found = re.search(rf'<section class="card plugin-tile" id="tile-{plugin}">(.*?)</section>',
                      html, re.S)  # fmt: skip
    assert found, plugin
    return found.group(1)
