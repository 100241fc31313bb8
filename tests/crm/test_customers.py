"""Customers over the API: create, validate, find, change, and what is derived about them."""

from __future__ import annotations

import pytest

from pitstop.crm.models import Customer
from tests.crm.conftest import Crm, make_phone


async def test_create_stores_e164_and_emits_customer_created(crm: Crm) -> None:
    # Given an HQ admin
    headers = await crm.headers()
    # When a customer is created with a phone typed with spaces
    response = await crm.demo.client.post(
        "/api/v1/customers",
        json={
            "name": "李雷",
            "phone": "138 1234 5678",
            "birthday": "1988-05-04",
            "id_number": "11010519491231002X",
            "email": "li.lei@example.com",
            "home_store_id": crm.stores["SH001"],
            "tags": ["vip", "vip", " fleet "],
            "marketing_consent": True,
            "consent_channel": "mini_program",
        },
        headers=headers,
    )
    # Then it answers 201 with the id, the phone in E.164 and derived figures
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "+8613812345678"
    assert body["age_band"] == "80后"
    assert body["lifecycle"] == "no_vehicle"
    assert body["tags"] == ["fleet", "vip"]
    assert body["marketing_consent"]["granted"] is True
    assert body["marketing_consent"]["channel"] == "mini_program"
    assert body["marketing_consent"]["at"] is not None
    assert (body["visit_count"], body["total_spend"], body["last_visit_at"]) == (0, 0, None)
    # And a customer.created event carrying no personal data is in the outbox
    events = await crm.events("customer.created")
    assert [e["customer_id"] for e in events] == [body["id"]]
    assert "+8613812345678" not in str(events) and "李雷" not in str(events)


async def test_same_phone_twice_is_409_with_the_existing_id(crm: Crm) -> None:
    # Given a customer
    first = await crm.customer(phone="13900001111")
    # When another is created with the same number written differently
    response = await crm.demo.client.post(
        "/api/v1/customers",
        json={"name": "王五", "phone": "+86 139-0000-1111"},
        headers=await crm.headers(),
    )
    # Then it is refused as a duplicate naming the existing customer
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_customer"
    assert response.json()["id"] == first["id"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("phone", "12345", "invalid_phone"),
        ("id_number", "110105194912310021", "invalid_id_number"),
        ("email", "not-an-email", "invalid_email"),
        ("home_store_id", "00000000-0000-0000-0000-000000000001", "unknown_store"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    crm: Crm, field: str, value: str, code: str
) -> None:
    # Given a valid body with one bad field
    body = {"name": "赵六", "phone": make_phone(424242), field: value}
    # When it is posted
    response = await crm.demo.client.post(
        "/api/v1/customers", json=body, headers=await crm.headers()
    )
    # Then the answer is 422 naming the field, with a stable code
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == code
    assert problem["errors"][0]["field"] == field
    assert value not in response.text or field == "home_store_id"
    # And no customer was written
    assert await crm.count(Customer) == 0


async def test_unknown_enum_value_is_422_naming_the_field(crm: Crm) -> None:
    # When a customer is posted with an occupation that does not exist
    response = await crm.demo.client.post(
        "/api/v1/customers",
        json={"name": "钱七", "phone": make_phone(5150), "occupation": "astronaut"},
        headers=await crm.headers(),
    )
    # Then the answer is 422 naming occupation
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "occupation"


async def test_patch_changes_only_what_is_sent_and_emits_changed_field_names(crm: Crm) -> None:
    # Given a customer with a city
    customer = await crm.customer(city="上海", tags=["vip"])
    # When the phone and occupation are changed
    response = await crm.demo.client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"phone": "13700007777", "occupation": "business_owner", "city": None},
        headers=await crm.headers(),
    )
    # Then only those change
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["phone"], body["occupation"], body["city"]) == (
        "+8613700007777",
        "business_owner",
        None,
    )
    assert body["tags"] == ["vip"]
    # And customer.updated lists the changed fields' names, not their values
    assert await crm.events("customer.updated") == [
        {"customer_id": customer["id"], "fields": ["city", "occupation", "phone"]}
    ]
