"""Trade-in candidates from the shop's own records: the nightly scoring against the rules,
and the list — filtered, paged, store-scoped and masked per role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pitstop_tradein.candidates import projected_km
from tests.plugins.tradein.on_kit.conftest import CAMRY, Yard

BIG_REPAIR = {
    "kind": "labor", "category": "repair", "description": "更换变速箱", "quantity": 1,
    "unit_price": 900_000,
}  # fmt: skip


async def _serviced(
    yard: Yard,
    vehicle: dict[str, Any],
    km: int,
    *,
    store: str = "SH001",
    lines: list[dict[str, Any]] | None = None,
) -> None:
    order = await yard.app.order(
        str(vehicle["customer_id"]), str(vehicle["id"]), store=store, lines=lines
    )
    done = await yard.client("hq_admin").post(
        f"/api/v1/service-orders/{order['id']}/complete", json={"mileage_km": km}
    )
    assert done.status_code == 200, done.text


async def _fleet(yard: Yard) -> dict[str, dict[str, Any]]:
    """Five cars of the book, each meeting a different set of the default rules."""
    cars = {
        "driven": await yard.car(purchase_date="2021-01-01", mileage_km=40_000),
        "repaired": await yard.car(purchase_date="2022-01-01", mileage_km=10_000),
        "young": await yard.car(purchase_date="2024-06-01", mileage_km=90_000),
        "old": await yard.car(purchase_date="2015-01-01", mileage_km=150_000),
        "quiet": await yard.car(purchase_date="2021-06-01", mileage_km=20_000),
    }
    await _serviced(yard, cars["driven"], 50_000)
    await _serviced(yard, cars["repaired"], 11_000, store="HZ001", lines=[BIG_REPAIR])
    await _serviced(yard, cars["quiet"], 21_000)
    yard.app.clock.advance(days=60)
    await _serviced(yard, cars["driven"], 56_000)  # 100 km a day
    yard.app.clock.advance(days=60)  # projected to 62,000 km tonight
    return cars


async def _list(
    yard: Yard, query: str = "", role: str = "hq_admin", store: str | None = None
) -> dict[str, Any]:
    response = await yard.client(role, store).get(f"/api/v1/tradein/candidates{query}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_nightly_run_scores_the_fleet_against_the_rules(yard: Yard) -> None:
    # Given five cars: one driven far, one repaired at length, one too young, one too old,
    # one of the right age but quiet
    cars = await _fleet(yard)
    # When the nightly schedule runs
    await yard.app.drain(schedule="nightly")
    # Then only the driven and the repaired cars are candidates, with why and a score
    items = {c["vehicle_id"]: c for c in (await _list(yard))["items"]}
    assert set(items) == {cars["driven"]["id"], cars["repaired"]["id"]}
    driven, repaired = items[cars["driven"]["id"]], items[cars["repaired"]["id"]]
    assert (driven["reasons"], driven["score"]) == (["age", "odometer"], 70)
    assert driven["projected_km"] == 62_000 and driven["store_id"] == yard.app.stores["SH001"]
    assert (repaired["reasons"], repaired["score"]) == (["age", "repair_spend"], 70)
    assert repaired["recent_spend"] == 900_000
    assert repaired["store_id"] == yard.app.stores["HZ001"]


async def test_rules_switched_off_and_a_rescore_drop_a_candidate(yard: Yard) -> None:
    # Given tonight's candidates
    cars = await _fleet(yard)
    await yard.app.drain(schedule="nightly")
    first = {c["vehicle_id"]: c["id"] for c in (await _list(yard))["items"]}
    # When the tenant switches the repair-spend rule off and the next night runs
    rules = {"candidate_rules": {"recent_repair_spend": {"enabled": False, "value": 0}}}
    changed = await yard.client("hq_admin").patch(
        "/api/v1/plugins/tradein", json={"settings": rules}
    )
    assert changed.status_code == 200, changed.text
    yard.app.clock.advance(days=1)
    await yard.app.drain(schedule="nightly")
    # Then the repaired car is no longer one, and the driven one keeps its id
    after = {c["vehicle_id"]: c["id"] for c in (await _list(yard))["items"]}
    assert after == {cars["driven"]["id"]: first[cars["driven"]["id"]]}


async def test_the_list_filters_pages_and_keeps_to_the_callers_stores(yard: Yard) -> None:
    # Given tonight's candidates at SH001 and HZ001
    cars = await _fleet(yard)
    await yard.app.drain(schedule="nightly")
    # When it is filtered by reason and score, Then only what matches comes back
    by_reason = await _list(yard, "?reason=repair_spend")
    assert [c["vehicle_id"] for c in by_reason["items"]] == [cars["repaired"]["id"]]
    assert (await _list(yard, "?min_score=71"))["items"] == []
    hz = await _list(yard, f"?store_id={yard.app.stores['HZ001']}")
    assert [c["vehicle_id"] for c in hz["items"]] == [cars["repaired"]["id"]]
    # And pages of one follow each other without repeats
    page = await _list(yard, "?limit=1")
    rest = await _list(yard, f"?limit=1&after={page['next']}")
    assert len({page["items"][0]["id"], rest["items"][0]["id"]}) == 2 and rest["next"] is None
    # When a manager of SH001 asks, Then HZ001's candidate is not there
    mine = await _list(yard, role="store_manager", store="SH001")
    assert [c["vehicle_id"] for c in mine["items"]] == [cars["driven"]["id"]]
    # And a bad reason names the field
    bad = await yard.client("hq_admin").get("/api/v1/tradein/candidates?reason=colour")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"


async def test_plates_are_masked_per_the_readers_role(yard: Yard) -> None:
    # Given a candidate
    cars = await _fleet(yard)
    await yard.app.drain(schedule="nightly")
    plate = cars["driven"]["plate"]
    # When HQ's analyst and an advisor read the list
    analyst = await _list(yard, "?reason=odometer", role="hq_analyst")
    advisor = await _list(yard, "?reason=odometer", role="service_advisor", store="SH001")
    # Then the analyst sees the plate masked, the advisor (who works the car) in full
    assert analyst["items"][0]["plate"] not in (plate, None)
    assert advisor["items"][0]["plate"] == plate
    # And marketing, who may read candidates but not leads, may not open a lead
    assert (await yard.client("marketing").get("/api/v1/tradein/leads")).status_code == 403


async def test_unserviced_cars_go_to_the_owners_home_store_and_marketing_sees_consent(
    yard: Yard,
) -> None:
    # Given two cars the shop never serviced, both driven far (90,000 km at registration):
    # one of a customer of HZ001 who consented to marketing, one of nobody's store who did not
    hz = yard.app.stores["HZ001"]
    owners = [
        await yard.app.customer(home_store_id=hz, marketing_consent=True),
        await yard.app.customer(),
    ]
    cars = [
        await yard.app.vehicle(str(o["id"]), **CAMRY, purchase_date="2021-01-01", mileage_km=90_000)
        for o in owners
    ]
    # When the nightly run scores them
    await yard.app.drain(schedule="nightly")
    # Then the consenting customer's car is HZ001's candidate, the other HQ's only
    everything = {c["vehicle_id"]: c for c in (await _list(yard, role="hq_analyst"))["items"]}
    assert everything[cars[0]["id"]]["store_id"] == hz
    assert everything[cars[1]["id"]]["store_id"] is None
    at_hz = await _list(yard, role="store_manager", store="HZ001")
    assert [c["vehicle_id"] for c in at_hz["items"]] == [cars[0]["id"]]
    assert (await _list(yard, role="store_manager", store="SH001"))["items"] == []
    # And marketing sees only the consenting customer's car
    marketing = await _list(yard, role="marketing")
    assert [c["vehicle_id"] for c in marketing["items"]] == [cars[0]["id"]]


def test_the_odometer_is_projected_at_the_cars_own_pace() -> None:
    # Given readings 60 days apart, 6,000 km apart
    day0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    readings = [(day0, 50_000), (day0 + dt.timedelta(days=60), 56_000)]
    # When projected 30 days after the last, Then 100 km a day is added
    assert projected_km(day0 + dt.timedelta(days=90), readings, None, None) == 59_000
    # And one reading is projected from the car's start of life; none keeps the vehicle's
    one = [(day0, 36_500)]
    assert projected_km(day0 + dt.timedelta(days=10), one, dt.date(2025, 1, 1), None) == 37_500
    assert projected_km(day0, [], None, 12_345) == 12_345
