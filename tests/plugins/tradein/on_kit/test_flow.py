"""A trade-in from lead to sale through the API: the appraisal's valuation and rollback
check, approval thresholds, the customer's answer, expiry by task and by sweep, audit."""

from __future__ import annotations

from typing import Any

from pitstop_tradein.offers import sweep
from tests.plugins.tradein.on_kit.conftest import BOOK, Yard


async def _audit(yard: Yard, action: str) -> list[dict[str, Any]]:
    response = await yard.client("hq_admin").get(f"/api/v1/audit?action={action}")
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["action"] == action]


async def test_a_lead_is_opened_at_the_advisors_store_and_announced(yard: Yard) -> None:
    # Given a car of the shop's book, When an advisor of SH001 opens a lead for it
    lead = await yard.lead("SH001")
    # Then it is at stage lead in SH001, offering the next moves, and announced by ids only
    assert (lead["stage"], lead["store_id"]) == ("lead", yard.app.stores["SH001"])
    assert lead["allowed_moves"] == ["appraised", "lost"]
    (event,) = await yard.app.events("tradein.lead_created")
    assert event["lead_id"] == lead["id"] and "note" not in event
    assert len(await _audit(yard, "tradein.lead_created")) == 1


async def test_the_appraisal_values_the_car_from_the_price_table_in_shown_steps(
    yard: Yard,
) -> None:
    # Given a lead for a 2022 Camry bought four years ago (book ¥200,000)
    lead = await yard.lead()
    # When it is appraised at 45,000 km, all panels 4, with a tyre job to do
    response = await yard.appraise(lead, recon_items=[{"category": "tyres", "estimate": 200_000}])
    # Then the valuation is every step of the breakdown, from the book value down
    assert response.status_code == 201, response.text
    appraisal = response.json()
    steps = [(s["step"], s["amount"]) for s in appraisal["breakdown"]]
    assert [s for s, _ in steps] == [
        "base",
        "age",
        "mileage",
        "condition",
        "history",
        "recon",
        "valuation",
    ]
    assert steps[0] == ("base", BOOK) and steps[5] == ("recon", -200_000)
    assert appraisal["valuation"] == sum(a for s, a in steps if s != "valuation")
    assert (appraisal["grade"], appraisal["book_value_source"]) == ("B", "price_table")
    assert (await yard.get(lead))["stage"] == "appraised"


async def test_a_car_missing_from_the_price_table_needs_a_hand_entered_book_value(
    yard: Yard,
) -> None:
    # Given a lead for a car the price table does not list
    lead = await yard.lead(make="Honda", model="Accord", year=2021)
    # When it is appraised without a book value, Then the 422 names the field
    missing = await yard.appraise(lead)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "book_value"
    # And a hand-entered one needs its source, then is used as the base
    unsourced = await yard.appraise(lead, book_value=15_000_000)
    assert unsourced.json()["errors"][0]["field"] == "book_value_source"
    ok = await yard.appraise(lead, book_value=15_000_000, book_value_source="che300")
    assert ok.status_code == 201, ok.text
    assert ok.json()["breakdown"][0] == {
        "step": "base",
        "amount": 15_000_000,
        "note": "entered by hand (che300)",
    }


async def test_an_odometer_below_the_shops_own_readings_is_a_suspected_rollback(
    yard: Yard,
) -> None:
    # Given a car the shop has read at 40,000 km and then 52,000 km at a service
    lead = await yard.lead()
    reading = await yard.client("hq_admin").post(
        f"/api/v1/vehicles/{lead['vehicle_id']}/mileage", json={"mileage_km": 52_000}
    )
    assert reading.status_code == 201, reading.text
    # When the appraiser reads 45,000 km, Then it is refused naming the odometer
    refused = await yard.appraise(lead, odometer_km=45_000)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "odometer_rollback_suspected"
    assert refused.json()["errors"][0]["field"] == "odometer_km"
    assert (await yard.get(lead))["stage"] == "lead"
    # When it is confirmed with a reason, Then the appraisal keeps the flag and the reading
    confirmed = await yard.appraise(
        lead, odometer_km=45_000, confirm_odometer=True, odometer_reason="仪表总成已更换"
    )
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    assert (body["odometer_rollback_suspected"], body["highest_recorded_km"]) == (True, 52_000)
    # And a reading at or above the highest one is not suspected
    again = await yard.appraise(lead, odometer_km=52_000)
    assert again.json()["odometer_rollback_suspected"] is False


async def test_an_offer_within_the_thresholds_goes_out_and_locks_the_appraisal(
    yard: Yard,
) -> None:
    # Given an appraised lead
    lead, offer = await yard.offered()
    # Then the offer is with the customer for 7 days and the lead is offered
    assert offer["status"] == "offered" and offer["approval_reasons"] == []
    assert offer["valid_until"] is not None
    assert (await yard.get(lead))["stage"] == "offered"
    # And the appraisal it rests on is locked; appraising again would be a new version
    (appraisal,) = (
        await yard.client().get(f"/api/v1/tradein/leads/{lead['id']}/appraisals")
    ).json()
    assert appraisal["locked"] is True
    assert len(await yard.app.events("tradein.offer_made")) == 1


async def test_offers_above_the_thresholds_wait_for_a_manager(yard: Yard) -> None:
    # Given an appraised lead
    lead = await yard.lead()
    valuation = (await yard.appraise(lead)).json()["valuation"]
    # When an offer goes 6% above the valuation (over the 5% allowed)
    high = await yard.offer(lead, valuation * 106 // 100)
    # Then it awaits approval, and the lead stays appraised
    assert high.status_code == 201, high.text
    assert (high.json()["status"], high.json()["approval_reasons"]) == (
        "awaiting_approval",
        ["over_valuation"],
    )
    assert (await yard.get(lead))["stage"] == "appraised"
    # And a second offer is refused while it waits
    assert (await yard.offer(lead, valuation)).status_code == 409
    # When an advisor tries to approve it, Then they may not
    offer_path = f"/offers/{high.json()['id']}"
    assert (
        await yard.act(lead, f"{offer_path}/approve", role="service_advisor")
    ).status_code == 403
    # When the store manager approves it, Then it goes out and the lead is offered
    approved = await yard.act(lead, f"{offer_path}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "offered" and approved.json()["valid_until"]
    assert (await yard.get(lead))["stage"] == "offered"
    assert len(await _audit(yard, "tradein.offer_approved")) == 1
    # And deciding again is a conflict
    assert (await yard.act(lead, f"{offer_path}/reject")).status_code == 409


async def test_an_offer_over_the_amount_threshold_is_rejected_by_the_manager(
    yard: Yard,
) -> None:
    # Given a tenant whose approval threshold is ¥50,000, and an appraised lead
    settings = {"settings": {"approval_over": 5_000_000}}
    assert (
        await yard.client("hq_admin").patch("/api/v1/plugins/tradein", json=settings)
    ).status_code == 200
    lead = await yard.lead()
    valuation = (await yard.appraise(lead)).json()["valuation"]
    # When an offer of the valuation itself (above ¥50,000) is made and rejected
    offer = (await yard.offer(lead, valuation)).json()
    assert offer["approval_reasons"] == ["over_amount"]
    rejected = await yard.act(lead, f"/offers/{offer['id']}/reject")
    # Then it never reached the customer and the lead may be offered again
    assert rejected.json()["status"] == "rejected" and rejected.json()["valid_until"] is None
    assert (await yard.get(lead))["allowed_moves"] == ["appraised", "lost", "offered"]


async def test_the_customer_accepts_then_the_car_is_bought_reconditioned_and_sold(
    yard: Yard,
) -> None:
    # Given an open offer
    lead, offer = await yard.offered()
    # When the customer accepts, the shop buys the car, reconditions it and sells it
    accepted = await yard.act(lead, f"/offers/{offer['id']}/accept")
    purchase = {
        "price": offer["amount"],
        "replacement": {"bought_from_us": True, "amount": 25_000_000},
    }
    bought = await yard.act(lead, "/purchase", purchase)
    ready = await yard.act(lead, "/reconditioned", role="service_advisor")
    sold = await yard.act(lead, "/sold", {"price": offer["amount"] + 900_000, "channel": "retail"})
    # Then each step answers and the lead ends sold with its figures
    assert [r.status_code for r in (accepted, bought, ready, sold)] == [200] * 4, sold.text
    final = await yard.get(lead)
    assert (final["stage"], final["allowed_moves"]) == ("sold", [])
    assert (final["purchase_price"], final["replacement_from_us"]) == (offer["amount"], True)
    assert final["sold_price"] == offer["amount"] + 900_000
    for event in ("tradein.offer_accepted", "tradein.purchased", "tradein.sold"):
        assert len(await yard.app.events(event)) == 1, event


async def test_an_offer_expires_at_its_validity_by_the_deferred_task(yard: Yard) -> None:
    # Given an offer valid for 7 days
    lead, offer = await yard.offered()
    # When 6 days pass, Then nothing has expired
    yard.app.clock.advance(days=6)
    await yard.app.drain()
    assert (await yard.get(lead))["stage"] == "offered"
    # When the 7th day passes, Then the customer can no longer accept it, even before
    # the worker has run
    yard.app.clock.advance(days=1, seconds=1)
    late = await yard.act(lead, f"/offers/{offer['id']}/accept")
    assert late.status_code == 409 and late.json()["code"] == "tradein_offer_not_open"
    # When the worker runs, Then the task expired it and the lead says what may follow
    await yard.app.drain()
    after = await yard.get(lead)
    assert (after["stage"], after["allowed_moves"]) == ("expired", ["appraised", "lost", "offered"])
    (event,) = await yard.app.events("tradein.offer_expired")
    assert event["offer_id"] == offer["id"]
    refused = await yard.act(lead, f"/offers/{offer['id']}/accept")
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_stage_move"


async def test_the_sweep_expires_what_no_task_did_and_the_late_task_does_nothing(
    yard: Yard,
) -> None:
    # Given an offer 8 days old whose expiry task has not run yet
    lead, _ = await yard.offered()
    yard.app.clock.advance(days=8)
    # When the sweep runs first (as the nightly schedule does)
    async with yard.app.context() as ctx:
        expired = await sweep(ctx)
    # Then it expired the offer, once
    assert expired == 1
    assert (await yard.get(lead))["stage"] == "expired"
    # And the late task, and the whole nightly schedule, find nothing more to do
    await yard.app.drain(schedule="nightly")
    assert len(await yard.app.events("tradein.offer_expired")) == 1


async def test_an_answer_before_expiry_wins_over_a_late_task(yard: Yard) -> None:
    # Given an offer the customer declined on day 2
    lead, offer = await yard.offered()
    yard.app.clock.advance(days=2)
    assert (await yard.act(lead, f"/offers/{offer['id']}/decline")).status_code == 200
    # When its expiry task runs on day 8, Then it does nothing
    yard.app.clock.advance(days=6)
    await yard.app.drain()
    assert (await yard.get(lead))["stage"] == "declined"
    assert await yard.app.events("tradein.offer_expired") == []


async def test_a_lost_lead_keeps_its_reason_and_bad_bodies_name_their_field(
    yard: Yard,
) -> None:
    # Given a lead
    lead = await yard.lead()
    # When it is marked lost without a reason, Then the 422 names the field
    assert (await yard.act(lead, "/lost", {})).status_code == 422
    lost = await yard.act(lead, "/lost", {"reason": "客户决定继续开"})
    assert lost.status_code == 200 and lost.json()["stage"] == "lost"
    # And a bad appraisal body names its field, never a 500
    other = await yard.lead()
    bad = await yard.appraise(other, odometer_km=-1)
    assert bad.status_code == 422 and "odometer_km" in bad.text
