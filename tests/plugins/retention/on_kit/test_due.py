"""The due list: projections recomputed on a service, a reading and nightly; listed by
state and window, masked per role, narrowed to the caller's stores."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from pitstop_retention import store_intervals
from tests.plugins.retention.on_kit.conftest import Desk


async def test_a_service_projects_the_car_from_its_own_pace(desk: Desk) -> None:
    # Given a car registered at 10,000 km and serviced a month later at 13,000 (100 km/day)
    car = await desk.car(km=10_000)
    desk.app.clock.advance(days=30)
    await desk.service(car, 13_000)
    # When the completion event is handled
    await desk.app.drain()
    # Then the car is due by mileage 50 days on, at 18,000 km, and listed as upcoming
    listed = await desk.get("/due?window=60d&state=upcoming")
    assert [i["vehicle_id"] for i in listed["items"]] == [car["id"]]
    item = listed["items"][0]
    today = dt.date(2026, 4, 9)
    assert (item["reason"], item["due_km"], item["pace_source"]) == ("mileage", 18_000, "readings")
    assert item["due_date"] == (today + dt.timedelta(days=50)).isoformat()
    assert item["store_id"] == desk.app.stores["SH001"] and item["state"] == "upcoming"
    # And a 30-day window does not reach it yet
    assert (await desk.get("/due?window=30d"))["items"] == []


async def test_the_list_masks_per_role_and_keeps_to_the_callers_stores(desk: Desk) -> None:
    # Given a car serviced at SH001 and one at HZ001, both due within the window
    sh, hz = await desk.car(), await desk.car()
    await desk.service(sh, 10_000)
    await desk.service(hz, 10_000, store="HZ001")
    await desk.app.drain()
    # When HQ, an analyst and each store's advisor list what is due in 200 days
    hq = await desk.get("/due?window=200d")
    analyst = await desk.get("/due?window=200d", role="hq_analyst")
    advisor = await desk.get("/due?window=200d", role="service_advisor", store="HZ001")
    # Then HQ sees both in full, the analyst masked, the HZ advisor only HZ001's car
    assert {i["vehicle_id"] for i in hq["items"]} == {sh["id"], hz["id"]}
    full = next(i for i in hq["items"] if i["vehicle_id"] == sh["id"])["customer"]
    masked = next(i for i in analyst["items"] if i["vehicle_id"] == sh["id"])["customer"]
    assert "*" not in full["phone"] and "*" in masked["phone"] and "*" in masked["name"]
    assert [i["vehicle_id"] for i in advisor["items"]] == [hz["id"]]
    # And naming another store is a 404, a bad window or state a 422 naming the field
    other = await desk.client("service_advisor", "HZ001").get(
        f"/api/v1/retention/due?store_id={desk.app.stores['SH001']}"
    )
    assert other.status_code == 404
    for query, field in (("window=3w", "window"), ("state=late", "state")):
        bad = await desk.client().get(f"/api/v1/retention/due?{query}")
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, field)
    # And a technician may not read the list at all
    assert (await desk.client("technician").get("/api/v1/retention/due")).status_code == 403


async def test_a_reading_by_hand_re_projects_the_car_at_once(desk: Desk) -> None:
    # Given a car serviced today at 10,000 km, due at the default pace (40 km/day: 125 days)
    car = await desk.car()
    order = await desk.service(car, 10_000)
    await desk.app.drain()
    # When, 20 days on, the front desk reads 14,000 km (200 km/day) and the events are handled
    desk.app.clock.advance(days=20)
    await desk.reading(car, 14_000)
    await desk.app.drain()
    # Then the car is due in 5 days at 15,000 km on its own pace, without waiting for the night
    [item] = (await desk.get("/due?window=30d"))["items"]
    assert (item["due_km"], item["km_per_day"], item["pace_source"]) == (15_000, 200, "readings")
    assert item["due_date"] == (dt.date(2026, 3, 30) + dt.timedelta(days=5)).isoformat()
    # And the core said so twice, ids and the odometer only: the order's reading, then this
    sent = await desk.app.events("vehicle.mileage_recorded")
    assert [(e["mileage_km"], e["source"], e["service_order_id"]) for e in sent] == [
        (10_000, "service_order", order["id"]), (14_000, "manual", None),
    ]  # fmt: skip
    assert set(sent[1]) == {"vehicle_id", "customer_id", "reading_id", "mileage_km", "source",
                            "correction", "service_order_id"}  # fmt: skip


async def test_the_nightly_run_moves_cars_through_the_states(desk: Desk) -> None:
    # Given a car serviced today with no other reading (the default 40 km/day: 125 days)
    car = await desk.car()
    await desk.service(car, 10_000)
    await desk.app.drain()
    due = dt.date(2026, 3, 10) + dt.timedelta(days=125)
    states = []
    # When the nightly run goes on the due day, and 7 days after it
    for days in (125, 7):
        desk.app.clock.advance(days=days)
        await desk.app.drain(schedule="nightly")
        listed = await desk.get("/due?window=1d")
        states.append([(i["state"], i["due_date"]) for i in listed["items"]])
    # Then the car is due, then overdue, against the same due date
    assert states == [[("due", due.isoformat())], [("overdue", due.isoformat())]]
    overdue = await desk.get("/due?state=overdue")
    assert [i["vehicle_id"] for i in overdue["items"]] == [car["id"]]


async def test_a_store_sets_its_own_interval_for_the_cars_it_serviced(desk: Desk) -> None:
    # Given a car serviced at SH001 and one at HZ001, both due at the chain's 5,000 km
    sh, hz = await desk.car(), await desk.car()
    await desk.service(sh, 10_000)
    await desk.service(hz, 10_000, store="HZ001")
    await desk.app.drain()
    store = desk.app.stores["SH001"]
    url = f"/api/v1/retention/store-intervals/{store}"

    async def due_km() -> dict[str, int]:
        items = (await desk.get("/due?window=365d"))["items"]
        return {i["vehicle_id"]: i["due_km"] for i in items}

    assert await due_km() == {sh["id"]: 15_000, hz["id"]: 15_000}
    # When HQ sends bad intervals, and an advisor tries a good one
    bad = [{"km": 10, "months": 3}, {"km": 3_000, "months": 0}, {"km": 3_000, "months": "3"}]
    refused = [await desk.client().put(url, json=body) for body in bad]
    advisor = await desk.client("service_advisor").put(url, json={"km": 3_000, "months": 3})
    # Then each names its field, the advisor may not, and nothing changed
    assert [(r.status_code, r.json()["errors"][0]["field"]) for r in refused] == [
        (422, "km"), (422, "months"), (422, "months"),
    ]  # fmt: skip
    assert advisor.status_code == 403
    assert (await desk.get("/store-intervals"))["stores"] == []
    # When HQ gives SH001 3,000 km / 3 months
    put = await desk.client().put(url, json={"km": 3_000, "months": 3})
    assert put.status_code == 200, put.text
    await desk.app.drain()
    # Then SH001's car is re-projected on it (13,000 km), HZ001's keeps the chain's
    assert await due_km() == {sh["id"]: 13_000, hz["id"]: 15_000}
    listed = await desk.get("/store-intervals", role="service_advisor", store="HZ001")
    assert listed["default"] == {"km": 5_000, "months": 6} and listed["stores"] == []
    [own] = (await desk.get("/store-intervals"))["stores"]
    assert (own["store_id"], own["km"], own["months"]) == (store, 3_000, 3)
    # When the store's interval is cleared, Then its car is back on the chain's
    assert (await desk.client().delete(url)).status_code == 204
    await desk.app.drain()
    assert await due_km() == {sh["id"]: 15_000, hz["id"]: 15_000}
    assert (await desk.client().delete(url)).status_code == 404


async def test_a_stores_cars_are_re_projected_in_batches(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five cars serviced at SH001, one at HZ001, and batches of two cars
    monkeypatch.setattr(store_intervals, "BATCH", 2)
    cars = [await desk.car() for _ in range(5)]
    for car in cars:
        await desk.service(car, 10_000)
    other = await desk.car()
    await desk.service(other, 10_000, store="HZ001")
    await desk.app.drain()
    seen: list[list[uuid.UUID]] = []
    real = store_intervals.get_vehicles

    async def spy(ctx: Any, ids: list[uuid.UUID]) -> Any:
        seen.append(list(ids))
        return await real(ctx, ids)

    monkeypatch.setattr(store_intervals, "get_vehicles", spy)
    # When HQ gives SH001 3,000 km and the worker re-projects its cars
    url = f"/api/v1/retention/store-intervals/{desk.app.stores['SH001']}"
    assert (await desk.client().put(url, json={"km": 3_000, "months": 3})).status_code == 200
    await desk.app.drain()
    # Then the cars were read in batches of at most two, each car once, in keyset order
    assert [len(batch) for batch in seen] == [2, 2, 1]
    read = [vehicle for batch in seen for vehicle in batch]
    assert read == sorted(read) and {str(v) for v in read} == {car["id"] for car in cars}
    # And every SH001 car is due at 13,000 km, while HZ001's keeps the chain's 15,000
    items = (await desk.get("/due?window=365d"))["items"]
    assert {i["vehicle_id"]: i["due_km"] for i in items} == {
        **{car["id"]: 13_000 for car in cars},
        other["id"]: 15_000,
    }
