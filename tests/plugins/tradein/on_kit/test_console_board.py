"""The trade-in leads board at the console (``console_pages``): leads by stage, oldest
first, counted; the reader's stores only; staff notes masked for the reader."""

from __future__ import annotations

import re

from tests.plugins.tradein.on_kit.conftest import Yard

PHONE = "13912345678"


def _column(html: str, stage: str) -> str:
    match = re.search(rf'<div class="column" id="stage-{stage}">(.*?)</div>', html, re.S)
    assert match, stage
    return match.group(1)


async def test_the_board_shows_each_stage_of_the_readers_stores(yard: Yard) -> None:
    # Given at SH001 a new lead whose note quotes a phone, an offered lead; one at HZ001
    car = await yard.car()
    fresh = (
        await yard.client("service_advisor").post(
            "/api/v1/tradein/leads",
            json={"vehicle_id": car["id"], "source": "walk_in", "note": f"客户电话 {PHONE}"},
        )
    ).json()
    offered, _ = await yard.offered()
    other = await yard.lead("HZ001")
    # When the SH001 manager opens the board
    manager = yard.app.console("store_manager", "SH001")
    page = await manager.get("/console/tradein/")
    # Then each lead is in its stage's column, counted, under the plugin's Chinese link
    assert page.status_code == 200, page.text
    assert '<a href="/console/tradein/">二手车置换</a>' in page.text
    lead_column, offered_column = _column(page.text, "lead"), _column(page.text, "offered")
    assert f'id="lead-{fresh["id"]}"' in lead_column and "Toyota Camry" in lead_column
    assert f'id="lead-{offered["id"]}"' in offered_column
    assert '<small class="count">1</small>' in lead_column
    # And the HZ001 lead is not on SH001's board
    assert other["id"] not in page.text
    # And the manager reads the note's phone, HQ's analyst only masked
    assert PHONE in lead_column
    analyst = await yard.app.console("hq_analyst").get("/console/tradein/")
    assert PHONE not in analyst.text and "139****5678" in analyst.text
    assert other["id"] in analyst.text  # HQ sees every store
    # And a technician may not open it
    technician = yard.app.console("technician", "SH001")
    assert (await technician.get("/console/tradein/")).status_code == 403
