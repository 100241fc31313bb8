"""The API contract: intake, the state machine, routing, notifications, KPIs, the 360 view,
export and erase."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.plugins.complaints.conftest import FAST, Desk, staff_of
from tests.plugins.complaints.on_kit.test_sla_clock import local


async def test_intake_returns_the_contract_fields(desk: Desk) -> None:
    # When a grade-B complaint is logged
    body = await desk.log("B")
    # Then it is new, unescalated, routed, with both SLA objects
    assert body["status"] == "new"
    assert body["escalation_level"] == 0
    assert body["assignee_id"] is not None
    for clock in ("first_response", "resolution"):
        assert set(body["sla"][clock]) >= {"due_at", "met_at", "breached_at"}
    # And complaint.created carries ids and facts only
    [event] = await desk.events("complaint.created")
    assert event["complaint_id"] == body["id"]
    assert "description" not in event


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": "Z"}, "severity"),
        ({"channel": "fax"}, "channel"),
        ({"category": "weather"}, "category"),
        ({"customer_id": "00000000-0000-7000-8000-000000000001"}, "customer_id"),
        ({"store_id": "00000000-0000-7000-8000-000000000001"}, "store_id"),
        ({"vehicle_id": "00000000-0000-7000-8000-000000000001"}, "vehicle_id"),
        ({"service_order_id": "00000000-0000-7000-8000-000000000001"}, "service_order_id"),
        ({"description": ""}, "description"),
    ],
)
async def test_bad_intake_is_a_422_naming_the_field_and_writes_nothing(
    desk: Desk, change: dict[str, str], field: str
) -> None:
    body = {
        "customer_id": await desk.customer(),
        "store_id": desk.crm.stores["SH001"],
        "severity": "A",
        "category": "price",
        "channel": "app",
        "description": "价格不透明",
        **change,
    }
    response = await desk.call("POST", "", json=body)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    assert await desk.count_events("complaint.created") == 0


async def test_intake_links_a_service_order_and_its_vehicle(desk: Desk) -> None:
    # Given a customer's completed service order
    customer = await desk.customer()
    vehicle = await desk.crm.vehicle(customer)
    order = await desk.crm.order("SH001", customer, vehicle["id"])
    # When a complaint names the order
    body = await desk.log("C", customer_id=customer, service_order_id=order["id"])
    # Then the vehicle is taken from it
    assert body["vehicle_id"] == vehicle["id"]
    # And another customer's order is refused
    other = await desk.customer()
    response = await desk.call(
        "POST",
        "",
        json={
            "customer_id": other,
            "store_id": desk.crm.stores["SH001"],
            "severity": "C",
            "category": "parts",
            "channel": "web",
            "description": "配件不对",
            "service_order_id": order["id"],
        },
    )
    assert response.status_code == 422


async def test_illegal_transitions_are_409_naming_both_states(desk: Desk) -> None:
    complaint = await desk.log("A")
    cid = complaint["id"]
    # A new complaint cannot wait for the customer before anyone answered it
    response = await desk.call("POST", f"/{cid}/status", json={"status": "awaiting_customer"})
    assert response.status_code == 409
    problem = response.json()
    assert (problem["code"], problem["from_status"], problem["to_status"]) == (
        "illegal_transition",
        "new",
        "awaiting_customer",
    )
    # Nor be surveyed, closed or reopened before it is resolved
    for path, body in (
        ("survey", {"satisfaction": 5, "resolved": True}),
        ("close", {}),
        ("reopen", {}),
    ):
        response = await desk.call("POST", f"/{cid}/{path}", json=body)
        assert response.status_code == 409, path
    # Acknowledging twice is refused too
    assert (await desk.call("POST", f"/{cid}/acknowledge", json={})).status_code == 200
    again = await desk.call("POST", f"/{cid}/acknowledge", json={})
    assert again.status_code == 409
    assert again.json()["from_status"] == "acknowledged"


async def test_acknowledge_meets_the_first_response_and_history_is_kept(desk: Desk) -> None:
    complaint = await desk.log("A")
    cid = complaint["id"]
    desk.advance(minutes=5)
    body = (await desk.call("POST", f"/{cid}/acknowledge", json={"note": "已致电"})).json()
    assert body["status"] == "acknowledged"
    assert body["sla"]["first_response"]["met_at"] is not None
    # Reassignment is recorded with both people
    advisor = (await staff_of(desk, "service_advisor"))[0]
    moved = await desk.call("POST", f"/{cid}/assign", json={"staff_id": advisor})
    assert moved.status_code == 200, moved.text
    history = (await desk.call("GET", f"/{cid}/activities")).json()
    assert [h["kind"] for h in history] == ["transition", "transition", "assignment"]
    assert history[-1]["from_assignee_id"] == complaint["assignee_id"]
    assert history[-1]["to_assignee_id"] == advisor
    # Someone who does not work at the store cannot be given the complaint
    elsewhere = await staff_of(desk, "service_advisor", "HZ001")
    hz_only = next(s for s in elsewhere if s != advisor)
    refused = await desk.call("POST", f"/{cid}/assign", json={"staff_id": hz_only})
    assert refused.status_code == 422


async def test_routing_rules_then_round_robin_then_the_store_manager(desk: Desk) -> None:
    # Given price complaints go to service advisors, and SH001 has two of them
    hired = await desk.demo.client.post(
        "/api/v1/staff",
        json={
            "email": "advisor2.sh001@demo-chain.example",
            "name": "周顾问",
            "role": "service_advisor",
            "stores": [desk.crm.stores["SH001"]],
        },
        headers=await desk.crm.headers(),
    )
    assert hired.status_code == 201, hired.text
    rule = {"categories": ["price"], "role": "service_advisor"}
    assert (await desk.configure({**FAST, "routing": [rule]})).status_code == 200
    advisors = sorted(await staff_of(desk, "service_advisor"))
    # When three price complaints and one about attitude come in
    picks = [(await desk.log("B", category="price"))["assignee_id"] for _ in range(3)]
    other = (await desk.log("B", category="attitude"))["assignee_id"]
    # Then the advisors take turns and the unmatched one goes to the store manager
    assert picks == [advisors[0], advisors[1], advisors[0]]
    assert other == (await staff_of(desk, "store_manager"))[0]


async def test_non_critical_notifications_wait_for_business_hours(desk: Desk) -> None:
    # Given a grade-C complaint logged at 19:00 Monday, after SH001 closed
    desk.at(local(23, 19))
    grade_c = await desk.log("C")
    grade_a = await desk.log("A")
    manager_inbox = "/notifications?mine=1"
    # Then the store manager's inbox shows the grade-A assignment at once, not the grade-C one
    now = await desk.call("GET", manager_inbox, role="store_manager")
    assert now.status_code == 200, now.text
    assert {n["complaint_id"] for n in now.json()["items"]} == {grade_a["id"]}
    # When the store opens on Tuesday at 08:30, the grade-C one is due too
    desk.at(local(24, 8, 30))
    later = await desk.call("GET", manager_inbox, role="store_manager")
    assert {n["complaint_id"] for n in later.json()["items"]} == {grade_a["id"], grade_c["id"]}
    # And the recipient (only) can mark one read
    first = later.json()["items"][0]["id"]
    assert (await desk.call("POST", f"/notifications/{first}/read")).status_code == 404
    read = await desk.call("POST", f"/notifications/{first}/read", role="store_manager")
    assert read.json()["read_at"] is not None


async def test_kpis_count_compliance_durations_and_satisfaction(desk: Desk) -> None:
    # Given two grade-A complaints of one customer: one answered in 5 minutes and resolved
    # at first contact, one left to breach
    customer = await desk.customer()
    good = await desk.log("A", customer_id=customer)
    late = await desk.log("A", customer_id=customer, category="price")
    desk.advance(minutes=5)
    await desk.call("POST", f"/{good['id']}/acknowledge", json={})
    await desk.call(
        "POST", f"/{good['id']}/resolve", json={"resolution": "退款", "first_contact": True}
    )
    await desk.call("POST", f"/{good['id']}/survey", json={"satisfaction": 5, "resolved": True})
    desk.advance(minutes=10)
    await desk.sweep()
    # When HQ asks for the KPIs of the day
    start = (desk.now[0] - dt.timedelta(days=1)).isoformat()
    end = (desk.now[0] + dt.timedelta(minutes=1)).isoformat()
    response = await desk.call("GET", "/kpis", params={"from": start, "to": end})
    assert response.status_code == 200, response.text
    kpis = response.json()
    # Then every figure is there, chain-wide and per store
    assert kpis["count"] == 2
    assert kpis["by_category"] == {"service_quality": 1, "price": 1}
    assert kpis["first_contact_resolution_rate"] == 1.0
    assert kpis["sla_compliance"]["first_response"] == 0.5
    assert kpis["time_to_respond_seconds"]["median"] == 300
    assert kpis["satisfaction"]["mean"] == 5
    assert kpis["repeat_complainants"] == 1
    assert set(kpis["by_store"]) == {desk.crm.stores["SH001"]}
    assert late["id"] in [e["complaint_id"] for e in await desk.events("complaint.breached")]
    # And a store manager gets its own stores without the per-store breakdown
    own = (await desk.call("GET", "/kpis", role="store_manager")).json()
    assert own["count"] == 2
    assert "by_store" not in own
    bad = await desk.call("GET", "/kpis", params={"from": end, "to": start})
    assert bad.status_code == 422


async def test_customer_360_export_and_erase(desk: Desk) -> None:
    customer = await desk.customer()
    complaint = await desk.log("B", customer_id=customer)
    headers = await desk.crm.headers()
    # The 360 view shows the open complaint
    profile = await desk.demo.client.get(f"/api/v1/customers/{customer}/profile", headers=headers)
    assert profile.status_code == 200, profile.text
    [section] = [s for s in profile.json()["sections"] if s["plugin"] == "complaints"]
    assert [c["id"] for c in section["data"]["open"]] == [complaint["id"]]
    # When the customer is erased, the free text is gone but the facts remain
    erased = await desk.demo.client.post(
        f"/api/v1/customers/{customer}/erase", json={"reason": "客户要求"}, headers=headers
    )
    assert erased.status_code in (200, 204), erased.text
    body = await desk.get(complaint["id"])
    assert body["description"] == "[erased]"
    assert body["severity"] == "B"


async def test_export_holds_the_complaints_and_their_history(desk: Desk) -> None:
    customer = await desk.customer()
    complaint = await desk.log("C", customer_id=customer)
    response = await desk.demo.client.get(
        f"/api/v1/customers/{customer}/export", headers=await desk.crm.headers()
    )
    assert response.status_code == 200, response.text
    data = response.json()
    exported = data["plugins"]["complaints"]
    assert exported["complaints"][0]["id"] == complaint["id"]
    assert exported["complaints"][0]["activities"][0]["to_status"] == "new"
