"""The tenant's trade-in settings (every bad field named), and the customer's side: the
360° section, the data-subject export and erasure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.tradein.on_kit.conftest import Yard

BAD: list[tuple[dict[str, Any], str]] = [
    ({"offer_valid_days": 0}, "offer_valid_days"),
    ({"approval_over": -1}, "approval_over"),
    ({"approval_over_valuation_pct": 101}, "approval_over_valuation_pct"),
    ({"depreciation": {"later_pct": 100}}, "depreciation"),
    ({"mileage_adjustment": {"expected_km_per_year": 0}}, "mileage_adjustment"),
    ({"condition_factors": {"A": 1.0}}, "condition_factors"),
    ({"history_bonus_pct": {"min_on_time_pct": 120}}, "history_bonus_pct"),
    ({"candidate_rules": {"min_odometer_km": {"enabled": True, "value": -5}}}, "candidate_rules"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("settings", "field"), BAD, ids=[f for _, f in BAD])
async def test_a_bad_setting_is_refused_naming_its_field(
    yard: Yard, settings: dict[str, Any], field: str
) -> None:
    # When HQ saves a bad trade-in setting
    response = await yard.client("hq_admin").patch(
        "/api/v1/plugins/tradein", json={"settings": settings}
    )
    # Then it is a 422 naming the field, never a 500
    assert response.status_code == 422, response.text
    assert any(field in e["field"] for e in response.json()["errors"]), response.text


async def test_every_bad_field_is_named_at_once(yard: Yard) -> None:
    # When two fields are bad together, Then both are named
    both = {"offer_valid_days": 0, "approval_over": -1}
    response = await yard.client("hq_admin").patch(
        "/api/v1/plugins/tradein", json={"settings": both}
    )
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"settings.offer_valid_days", "settings.approval_over"} <= fields, fields


async def test_the_360_view_shows_open_leads_and_the_last_appraisal(yard: Yard) -> None:
    # Given a customer's lead, appraised
    lead = await yard.lead()
    appraisal = (await yard.appraise(lead)).json()
    # When the customer's profile is read
    profile = await yard.client("hq_admin").get(f"/api/v1/customers/{lead['customer_id']}/profile")
    # Then the trade-in section shows the open lead and the last valuation
    (section,) = [s for s in profile.json()["sections"] if s["plugin"] == "tradein"]
    assert section["data"]["open_leads"][0]["id"] == lead["id"]
    assert section["data"]["last_appraisal_value"] == appraisal["valuation"]


async def test_export_holds_everything_and_erasure_blanks_what_staff_typed(yard: Yard) -> None:
    # Given a lead with a note, an appraisal with an inspection note, and an offer
    lead, offer = await yard.offered()
    customer = lead["customer_id"]
    admin = yard.client("hq_admin")
    # When the customer's data is exported
    export = (await admin.get(f"/api/v1/customers/{customer}/export")).json()
    (held,) = export["plugins"]["tradein"]["leads"]
    # Then their lead, its appraisal and its offer are there, the note unmasked
    assert (held["id"], held["note"]) == (lead["id"], "想换新车")
    assert held["offers"][0]["id"] == offer["id"] and len(held["appraisals"]) == 1
    # When they are erased
    erased = await admin.post(f"/api/v1/customers/{customer}/erase", json={"reason": "request"})
    assert erased.status_code in (200, 204), erased.text
    # Then the note is blanked and the figures stay for the funnel
    after = await yard.get(lead)
    assert after["note"] == "[erased]" and after["stage"] == "offered"


async def test_an_erased_customers_car_is_no_longer_a_candidate(yard: Yard) -> None:
    # Given a four-year-old car at 90,000 km: tonight's candidate
    car = await yard.car(mileage_km=90_000)
    admin = yard.client("hq_admin")
    await yard.app.drain(schedule="nightly")
    listed = (await admin.get("/api/v1/tradein/candidates")).json()["items"]
    assert [c["vehicle_id"] for c in listed] == [car["id"]]
    # When its owner is erased and the next night runs
    customer = car["customer_id"]
    erased = await admin.post(f"/api/v1/customers/{customer}/erase", json={"reason": "request"})
    assert erased.status_code in (200, 204), erased.text
    yard.app.clock.advance(days=1)
    await yard.app.drain(schedule="nightly")
    # Then the car is not listed again
    assert (await admin.get("/api/v1/tradein/candidates")).json()["items"] == []
