"""Vehicles: VIN and plate rules, decoding, change of owner and the odometer timeline."""

from __future__ import annotations

import pytest

from pitstop.crm.models import MileageReading, Vehicle
from tests.crm.conftest import Crm, make_plate, make_vin


async def test_register_decodes_the_vin_and_emits_vehicle_registered(crm: Crm) -> None:
    # Given a customer
    customer = await crm.customer()
    # When a vehicle is registered with a lower-case VIN and a dotted new-energy plate
    response = await crm.demo.client.post(
        "/api/v1/vehicles",
        json={
            "customer_id": customer["id"],
            "vin": make_vin(900).lower(),
            "plate": "沪A·D12345",
            "fuel": "ev",
            "purchase_date": "2024-03-01",
            "warranty_end": "2030-03-01",
            "mileage_km": 1200,
        },
        headers=await crm.headers(),
    )
    # Then it is stored canonically and decoded (manufacturer, country, model year)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["vin"] == make_vin(900)
    assert body["plate"] == "沪AD12345"
    assert (body["manufacturer"], body["country"], body["model_year"]) == (
        "SAIC Volkswagen",
        "China",
        2022,
    )
    assert body["make"] == "SAIC Volkswagen" and body["in_warranty"] is True
    # And the owner's lifecycle now follows the vehicle's warranty
    owner = await crm.demo.client.get(
        f"/api/v1/customers/{customer['id']}", headers=await crm.headers()
    )
    assert owner.json()["lifecycle"] == "in_warranty"
    # And vehicle.registered is in the outbox with ids only
    assert await crm.events("vehicle.registered") == [
        {"vehicle_id": body["id"], "customer_id": customer["id"], "fuel": "ev", "year": 2022}
    ]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("vin", "LSVAU2180N2000001", "invalid_vin"),  # check digit wrong
        ("vin", "LSVAU218ON2000001", "invalid_vin"),  # letter O is not allowed
        ("vin", "LSV123", "invalid_vin"),
        ("plate", "沪I12345", "invalid_plate"),
        ("plate", "AB12345", "invalid_plate"),
        ("customer_id", "00000000-0000-0000-0000-000000000009", "unknown_customer"),
    ],
)
async def test_bad_vehicle_input_is_422_naming_the_field(
    crm: Crm, field: str, value: str, code: str
) -> None:
    # Given a customer and an otherwise valid vehicle
    customer = await crm.customer()
    body = {"customer_id": customer["id"], "vin": make_vin(901), "plate": make_plate(901)}
    # When one field is bad
    response = await crm.demo.client.post(
        "/api/v1/vehicles", json={**body, field: value}, headers=await crm.headers()
    )
    # Then the answer is 422 naming it, and nothing is written
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == field
    assert await crm.count(Vehicle) == 0


async def test_duplicate_vin_or_plate_is_409(crm: Crm) -> None:
    # Given a registered vehicle
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"], vin=make_vin(902), plate=make_plate(902))
    # When the same VIN or plate is registered again
    for field, code in (("vin", "duplicate_vin"), ("plate", "duplicate_plate")):
        other = {"vin": make_vin(903), "plate": make_plate(903)}
        other[field] = vehicle[field]
        response = await crm.demo.client.post(
            "/api/v1/vehicles",
            json={"customer_id": customer["id"], **other},
            headers=await crm.headers(),
        )
        # Then it is a conflict naming the existing vehicle
        assert response.status_code == 409, response.text
        assert (response.json()["code"], response.json()["id"]) == (code, vehicle["id"])


async def test_lower_mileage_is_refused_unless_flagged_as_correction(crm: Crm) -> None:
    # Given a vehicle at 30,000 km
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"], mileage_km=30_000)
    url = f"/api/v1/vehicles/{vehicle['id']}/mileage"
    headers = await crm.headers()
    # When a lower reading is posted
    refused = await crm.demo.client.post(url, json={"mileage_km": 3_000}, headers=headers)
    # Then it is refused naming mileage_km, and no reading is added
    assert refused.status_code == 422
    assert refused.json()["code"] == "mileage_decreased"
    assert refused.json()["errors"][0]["field"] == "mileage_km"
    assert await crm.count(MileageReading) == 1
    # When it is posted again as a correction
    corrected = await crm.demo.client.post(
        url, json={"mileage_km": 3_000, "correction": True, "note": "typo"}, headers=headers
    )
    # Then it is accepted and recorded as a correction of the previous value
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["correction"], corrected.json()["previous_km"]) == (True, 30_000)
    history = await crm.demo.client.get(
        f"/api/v1/vehicles/{vehicle['id']}/history", headers=headers
    )
    assert [m["mileage_km"] for m in history.json()["mileage"]] == [30_000, 3_000]
    assert history.json()["vehicle"]["mileage_km"] == 3_000


async def test_transfer_keeps_ownership_history(crm: Crm) -> None:
    # Given a vehicle owned by one customer
    seller, buyer = await crm.customer(), await crm.customer()
    vehicle = await crm.vehicle(seller["id"])
    headers = await crm.headers()
    # When it is transferred to another customer of the tenant
    response = await crm.demo.client.patch(
        f"/api/v1/vehicles/{vehicle['id']}",
        json={"customer_id": buyer["id"], "colour": "白色"},
        headers=headers,
    )
    # Then the buyer owns it and the history shows both owners, the first one closed
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] == buyer["id"]
    history = await crm.demo.client.get(
        f"/api/v1/vehicles/{vehicle['id']}/history", headers=headers
    )
    owners = history.json()["owners"]
    assert [o["customer_id"] for o in owners] == [seller["id"], buyer["id"]]
    assert owners[0]["ended_at"] is not None and owners[1]["ended_at"] is None


async def test_store_scoped_history_hides_other_stores_mileage_readings(crm: Crm) -> None:
    # Given a vehicle registered at 1,000 km, serviced at SH001 (2,000 km) and at HZ001
    # (3,000 km)
    customer = await crm.customer()
    vehicle = await crm.vehicle(customer["id"], mileage_km=1_000)
    ours = await crm.order("SH001", customer["id"], vehicle["id"])
    await crm.complete(ours["id"], 2_000)
    theirs = await crm.order("HZ001", customer["id"], vehicle["id"])
    await crm.complete(theirs["id"], 3_000)
    url = f"/api/v1/vehicles/{vehicle['id']}/history"
    # When SH001's technician and store manager read the vehicle's history
    for role in ("technician", "store_manager"):
        history = (await crm.demo.client.get(url, headers=await crm.headers(role))).json()
        # Then they see SH001's order and reading and the registration reading, and
        # nothing of HZ001's visit: no order, no order id, no date, no odometer reading
        assert [o["id"] for o in history["service_orders"]] == [ours["id"]], role
        readings = [(m["mileage_km"], m["service_order_id"]) for m in history["mileage"]]
        assert readings == [(1_000, None), (2_000, ours["id"])], role
        assert theirs["id"] not in str(history)
    # And HQ sees the whole timeline
    everything = (await crm.demo.client.get(url, headers=await crm.headers())).json()
    assert [m["mileage_km"] for m in everything["mileage"]] == [1_000, 2_000, 3_000]
