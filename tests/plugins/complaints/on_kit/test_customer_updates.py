"""The customer hears of their complaint: acknowledged and resolved go to them as service
messages through ``ctx.notify`` - no resolution text, once per resolution."""

from __future__ import annotations

from tests.plugins.complaints.conftest import Desk


async def test_acknowledged_and_resolved_are_sent_to_the_customer_once_each(desk: Desk) -> None:
    # Given a complaint logged for a customer
    customer = await desk.customer()
    complaint = await desk.log("B", customer_id=customer)
    # When it is acknowledged, resolved, and the resolve repeated by a second click
    await desk.call("POST", f"/{complaint['id']}/acknowledge", json={})
    resolution = {"resolution": "已为客户更换刹车片并退差价", "first_contact": False}
    await desk.call("POST", f"/{complaint['id']}/resolve", json=resolution)
    await desk.call("POST", f"/{complaint['id']}/resolve", json=resolution)
    # Then the contact log holds one message of each, to the customer, from the store
    headers = await desk.crm.headers("hq_admin")
    log = await desk.demo.client.get(
        "/api/v1/messages", params={"customer_id": customer}, headers=headers
    )
    entries = log.json()["items"]
    assert sorted(e["template"] for e in entries) == [
        "complaint_acknowledged",
        "complaint_resolved",
    ]
    assert {e["purpose"] for e in entries} == {"service"}
    assert {e["store_id"] for e in entries} == {complaint["store_id"]}
    # And the resolution text is in no message's data or body
    assert "刹车片" not in log.text
