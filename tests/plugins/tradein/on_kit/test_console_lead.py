"""A lead's page at the console: the moves that need figures (appraise, offer, approve,
buy) as forms through the API's own steps, each bad field named beside it in Chinese with
nothing saved, and nobody reaching a lead or an offer beyond their stores."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.plugins.tradein.on_kit.conftest import Yard

GRADES = {f"inspection.{p}": "4" for p in ("exterior", "interior", "mechanical", "tyres",
                                           "electrical")}  # fmt: skip


def _error(html: str, field: str) -> str | None:
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    return found.group(1) if found else None


async def _api(yard: Yard, lead: dict[str, Any], what: str) -> Any:
    response = await yard.client("hq_admin").get(f"/api/v1/tradein/leads/{lead['id']}/{what}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_lead_is_appraised_offered_approved_and_bought_on_its_page(yard: Yard) -> None:
    # Given a lead at SH001 (its Camry recorded at 40,000 km), and SH001's manager on the
    # board, whose card links to the lead's page
    lead = await yard.lead("SH001")
    manager = yard.app.console("store_manager", "SH001")
    page_url = f"/console/tradein/leads/{lead['id']}"
    assert f'href="{page_url}"' in (await manager.get("/console/tradein/")).text
    page = await manager.get(page_url)
    assert page.status_code == 200 and 'id="appraise-form"' in page.text
    # When they appraise with an odometer that is not a number, then below the shop's record
    unreadable = await manager.post(f"{page_url}/appraise", GRADES | {"odometer_km": "四万"})
    rollback = await manager.post(f"{page_url}/appraise", GRADES | {"odometer_km": "30000"})
    no_grade = await manager.post(f"{page_url}/appraise", {"odometer_km": "45000"})
    # Then each is named beside its field in Chinese, the typed value kept, nothing saved
    assert unreadable.status_code == rollback.status_code == no_grade.status_code == 422
    assert _error(unreadable.text, "appraise-odometer_km") == "必须是数字"
    assert 'value="四万"' in unreadable.text
    assert _error(rollback.text, "appraise-odometer_km") == (
        "低于本店记录的里程：请勾选确认并填写原因"
    )
    assert _error(no_grade.text, "appraise-inspection-exterior") == "必填"
    assert await _api(yard, lead, "appraisals") == []
    # When they appraise it right, with a tyre line of ¥1,200
    form = GRADES | {"odometer_km": "45000", "recon.0.category": "tyres",
                     "recon.0.estimate": "1,200"}  # fmt: skip
    appraised = await manager.post(f"{page_url}/appraise", form)
    # Then the API holds the appraisal as its own route makes it, in fen, audited
    assert appraised.status_code == 303, appraised.text
    (appraisal,) = await _api(yard, lead, "appraisals")
    assert appraisal["odometer_km"] == 45_000
    assert appraisal["recon_items"] == [{"category": "tyres", "estimate": 120_000}]
    admin = yard.app.client("hq_admin")
    audit = (await admin.get("/api/v1/audit?action=tradein.appraised")).json()["items"]
    assert audit[-1]["resource_id"] == lead["id"]
    # When an offer is made with no amount, then with twice the valuation (in yuan)
    blank = await manager.post(f"{page_url}/offer", {"amount": ""})
    fen = appraisal["valuation"] * 2
    double = f"{fen // 100}.{fen % 100:02d}"
    offered = await manager.post(f"{page_url}/offer", {"amount": double, "valid_days": "7"})
    # Then the blank one is named; the other awaits a manager's approval, as in the API
    assert blank.status_code == 422 and _error(blank.text, "offer-amount") == "必填"
    assert offered.status_code == 303, offered.text
    (offer,) = await _api(yard, lead, "offers")
    assert offer["status"] == "awaiting_approval" and offer["amount"] == appraisal["valuation"] * 2
    # When another offer is tried meanwhile, then the manager approves it on the page
    pending = await manager.post(f"{page_url}/offer", {"amount": "1000"})
    approved = await manager.post(f"{page_url}/offers/{offer['id']}/approve", {})
    # Then the second offer is refused with the reason at the top of the form; the first
    # stands, approved and audited
    assert pending.status_code == 409
    assert _error(pending.text, "offer-form") == "该线索有报价正在等待审批"
    assert approved.status_code == 303
    assert (await _api(yard, lead, "offers"))[0]["status"] == "offered"
    audit = (await admin.get("/api/v1/audit?action=tradein.offer_approved")).json()["items"]
    assert audit[-1]["resource_id"] == offer["id"]
    # When the customer accepts on the board, and the car is bought without a price, then
    # with one and the replacement bought from us
    await manager.post(f"{page_url}/answer", {"answer": "accepted"})
    no_price = await manager.post(f"{page_url}/purchase", {"bought_from_us": "1"})
    bought = await manager.post(
        f"{page_url}/purchase",
        {"price": "98,000.50", "bought_from_us": "1", "replacement_amount": "250000"},
    )
    # Then the first is named, the second buys the car as the API does, in fen
    assert no_price.status_code == 422 and _error(no_price.text, "purchase-price") == "必填"
    assert bought.status_code == 303, bought.text
    seen = await yard.get(lead)
    assert seen["stage"] == "purchased" and seen["purchase_price"] == 9_800_050
    assert seen["replacement_from_us"] is True and seen["replacement_amount"] == 25_000_000
    assert '<dd id="purchase-price">¥98,000.50</dd>' in (await manager.get(page_url)).text


async def test_nobody_moves_a_lead_beyond_their_reach(yard: Yard) -> None:
    # Given a lead at SH001 with an offer awaiting approval, and another SH001 lead
    lead = await yard.lead("SH001")
    appraisal = (await yard.appraise(lead)).json()
    offer = (await yard.offer(lead, appraisal["valuation"] * 2)).json()
    other_lead = await yard.lead("SH001")
    page_url = f"/console/tradein/leads/{lead['id']}"
    # When HZ001's manager opens it, approves its offer or offers on it by URL
    far = yard.app.console("store_manager", "HZ001")
    tries = [await far.get(page_url), await far.post(f"{page_url}/offer", {"amount": "1"}),
             await far.post(f"{page_url}/offers/{offer['id']}/approve", {})]  # fmt: skip
    # Then each is the not-found page, as for a lead of no store of theirs
    assert [t.status_code for t in tries] == [404, 404, 404]
    # And an advisor may not approve, an analyst may read but not offer, a forged post is
    # refused, an offer named under another lead and an unknown lead are not found
    advisor = yard.app.console("service_advisor", "SH001")
    analyst = yard.app.console("hq_analyst")
    manager = yard.app.console("store_manager", "SH001")
    assert (await advisor.post(f"{page_url}/offers/{offer['id']}/approve", {})).status_code == 403
    assert (await analyst.get(page_url)).status_code == 200
    assert (await analyst.post(f"{page_url}/offer", {"amount": "1"})).status_code == 403
    forged = await manager.post(f"{page_url}/offers/{offer['id']}/approve", {}, csrf=False)
    assert forged.status_code == 403
    elsewhere = f"/console/tradein/leads/{other_lead['id']}/offers/{offer['id']}/approve"
    assert (await manager.post(elsewhere, {})).status_code == 404
    unknown = f"/console/tradein/leads/{uuid.uuid4()}"
    assert (await manager.get(unknown)).status_code == 404
    assert (await manager.post(f"{unknown}/appraise", {})).status_code == 404
    # And the offer still awaits approval
    assert (await _api(yard, lead, "offers"))[0]["status"] == "awaiting_approval"


async def test_a_refusal_without_a_label_reads_as_the_plugins_api_words_it(yard: Yard) -> None:
    # Given an offer made at the valuation (open at once: no approval is needed), and
    # SH001's manager on its lead's page
    lead, offer = await yard.offered("SH001")
    manager = yard.app.console("store_manager", "SH001")
    # When they approve it all the same
    refused = await manager.post(
        f"/console/tradein/leads/{lead['id']}/offers/{offer['id']}/approve", {}
    )
    # Then the refusal above the offers is the plugin's own Chinese (PluginInfo.messages,
    # which the page's labels do not repeat), the offer's status worded too
    assert refused.status_code == 409, refused.text
    assert _error(refused.text, "decide-form") == "报价状态为“已报价”，不在待审批中"
