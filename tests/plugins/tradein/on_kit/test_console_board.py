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


async def test_leads_move_on_the_board_through_the_apis_own_steps(yard: Yard) -> None:
    # Given an open offer at SH001, and SH001's manager at the board
    lead, offer = await yard.offered()
    manager = yard.app.console("store_manager", "SH001")
    board = (await manager.get("/console/tradein/")).text
    moves = f"/console/tradein/leads/{lead['id']}"
    assert f'action="{moves}/answer"' in board and f'action="{moves}/lost"' in board
    # When the customer's acceptance is clicked on the card
    accepted = await manager.post(f"{moves}/answer", {"answer": "accepted"})
    # Then the offer is accepted as through the API, audited as there
    assert accepted.status_code == 303, accepted.text
    assert (await yard.get(lead))["stage"] == "accepted"
    audit = await yard.app.client("hq_admin").get("/api/v1/audit?action=tradein.offer_accepted")
    assert audit.json()["items"][-1]["resource_id"] == lead["id"]
    # When it is clicked again, or the car is sold before it is bought
    again = await manager.post(f"{moves}/answer", {"answer": "declined"})
    early = await manager.post(f"{moves}/sold", {"price": "98000", "channel": "retail"})
    # Then each is refused on the card, with the stage's own reason, and nothing moved
    assert again.status_code == early.status_code == 409
    assert f'id="lead-{lead["id"]}-error"' in early.text
    assert (await yard.get(lead))["stage"] == "accepted"
    # When the car is bought (through the API: it takes figures), reconditioned and sold
    buy = {"price": offer["amount"], "replacement": {"bought_from_us": True}}
    assert (await yard.act(lead, "/purchase", buy)).status_code == 200
    ready = await manager.post(f"{moves}/reconditioned", {})
    bad_price = await manager.post(f"{moves}/sold", {"price": "九万", "channel": "retail"})
    sold = await manager.post(f"{moves}/sold", {"price": "98,000.50", "channel": "retail"})
    # Then each step is the API's, a price it cannot read is named in Chinese, the sale
    # is stored in fen
    assert ready.status_code == sold.status_code == 303
    assert bad_price.status_code == 422 and "请输入金额" in bad_price.text
    seen = await yard.get(lead)
    assert seen["stage"] == "sold" and seen["sold_price"] == 9_800_050
    # And another store's manager, an analyst, a forged post and an unknown lead get nowhere
    fresh = await yard.lead("SH001")
    lose = f"/console/tradein/leads/{fresh['id']}/lost"
    other = yard.app.console("store_manager", "HZ001")
    assert (await other.post(lose, {"reason": "买了新车"})).status_code == 404
    analyst = yard.app.console("hq_analyst")
    assert (await analyst.post(lose, {"reason": "买了新车"})).status_code == 403
    assert (await manager.post(lose, {"reason": "买了新车"}, csrf=False)).status_code == 403
    unknown = f"/console/tradein/leads/{lead['id'][:-4]}0000/lost"
    assert (await manager.post(unknown, {"reason": "x"})).status_code == 404
    assert (await yard.get(fresh))["stage"] == "lead"
    # When the manager marks it lost without a reason, then with one
    blank = await manager.post(lose, {"reason": ""})
    lost = await manager.post(lose, {"reason": "买了新车"})
    assert blank.status_code == 422 and lost.status_code == 303
    assert (await yard.get(fresh))["lost_reason"] == "买了新车"
