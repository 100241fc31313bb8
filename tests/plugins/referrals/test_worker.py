"""Referral rewards end to end on the real Dramatiq worker: a referrer's code, a new
customer linked at the desk, their first paid order completed, the return window passing
(the deferred task held by the test as the broker's delay queue would hold it, released
once the runtime's clock has moved seven days on), and membership giving the referrer
points and the referee a voucher — every hop through the broker, ids only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from pitstop.runtime import Runtime
from tests.conftest import Drain
from tests.crm.conftest import make_phone, make_plate, make_vin
from tests.support.demo import Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
"""The broker and the worker are the matter here; the state machine on PostgreSQL is
on_kit/test_window.py's."""

SETTINGS = {
    "referrer_reward": {"kind": "points", "points": 500},
    "referee_reward": {"kind": "voucher", "voucher_template": "WELCOME30"},
}


async def _post(demo: Demo, path: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    headers = kw.get("headers") or await demo.headers()
    response = await demo.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def test_both_sides_are_rewarded_through_the_worker(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    # Given the demo chain with referrals on, a welcome voucher, and a member referrer
    admin = await demo.headers()
    on = await demo.client.put(
        "/api/v1/plugins/referrals", json={"enabled": True, "settings": SETTINGS}, headers=admin
    )
    assert on.status_code == 200, on.text
    await _post(demo, "/api/v1/membership/voucher-templates", {
        "code": "WELCOME30", "title": "新客礼", "kind": "amount", "amount": 3_000, "valid_days": 30,
    })  # fmt: skip
    referrer = await _post(demo, "/api/v1/customers", {"name": "黄忠", "phone": make_phone(9301)})
    await _post(demo, f"/api/v1/membership/accounts/{referrer['id']}/enrol", {})
    held: list[Any] = []
    seen: list[Any] = []
    enqueue = runtime.broker.enqueue

    def spy(message: Any, *, delay: int | None = None) -> Any:
        seen.append(message.asdict())
        if delay:  # the window's task: held as the delay queue would hold it
            held.append(message)
            return message
        return enqueue(message, delay=delay)

    runtime.broker.enqueue = spy  # type: ignore[method-assign]
    # When the desk issues the code and links a new customer
    advisor = await demo.headers("service_advisor")
    code = await _post(demo, "/api/v1/referrals/codes", {"customer_id": referrer["id"]})
    referee = await _post(demo, "/api/v1/customers", {"name": "魏延", "phone": make_phone(9302)})
    referral = await _post(
        demo, "/api/v1/referrals/", {"code": code["code"], "referee_customer_id": referee["id"]},
        headers=advisor,
    )  # fmt: skip
    # And the referee's first order of ¥300 is completed
    car = await _post(demo, "/api/v1/vehicles", {
        "customer_id": referee["id"], "vin": make_vin(9302), "plate": make_plate(9302),
    })  # fmt: skip
    line = {"kind": "labor", "category": "maintenance", "description": "保养", "quantity": 1,
            "unit_price": 30_000}  # fmt: skip
    order = await _post(demo, "/api/v1/service-orders", {
        "store_id": referral["store_id"], "customer_id": referee["id"],
        "vehicle_id": car["id"], "lines": [line],
    })  # fmt: skip
    await _post(demo, f"/api/v1/service-orders/{order['id']}/complete", {"mileage_km": 1000})
    await worker()
    path = f"/api/v1/referrals/{referral['id']}"
    assert (await demo.client.get(path, headers=admin)).json()["status"] == "qualifying"
    # And the window passes: the clock moves eight days on and the task comes due
    later = runtime.clock() + dt.timedelta(days=8)
    runtime.clock.set(lambda: later)
    (task,) = held
    enqueue(task, delay=None)
    await worker()
    demo.tokens.clear()  # the sessions of eight days ago have expired
    admin = await demo.headers()
    # Then the referral is rewarded: the referrer's points and the referee's voucher granted
    done = (await demo.client.get(path, headers=admin)).json()
    assert done["status"] == "rewarded", done
    sides = {r["side"]: r for r in done["rewards"]}
    assert {s: r["status"] for s, r in sides.items()} == {
        "referrer": "granted", "referee": "granted",
    }  # fmt: skip
    account = await demo.client.get(f"/api/v1/membership/accounts/{referrer['id']}", headers=admin)
    assert account.json()["balance"] == 500, account.text
    vouchers = await demo.client.get(
        f"/api/v1/membership/accounts/{referee['id']}/vouchers", headers=admin
    )
    assert [v["id"] for v in vouchers.json()] == [sides["referee"]["voucher_id"]]
    # And the broker carried ids only: never a name, a phone or the code
    text = json.dumps(seen, ensure_ascii=False, default=str)
    assert "黄忠" not in text and make_phone(9302) not in text and code["code"] not in text
