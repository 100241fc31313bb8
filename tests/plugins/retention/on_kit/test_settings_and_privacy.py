"""Settings are validated field by field; a redelivered completion has no second effect;
the customer's data is exported, erased, and an erased customer is reminded of nothing."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pitstop.sdk import Event
from pitstop_retention.models import FollowUp, StateChange, Survey, VehicleDue
from pitstop_retention.subscriptions import on_order_completed
from tests.plugins.retention.on_kit.conftest import Desk


async def test_each_bad_setting_is_named(desk: Desk) -> None:
    # Given settings with six mistakes
    bad = {
        "service_interval": {"km": 10, "months": 6},
        "reminder_grace_days": 61,
        "overdue_reminders_days": [45, 14],
        "lost_after_months": 6,
        "low_score": {"callback_within": "soon"},
        "follow_up": [{"day": 1, "action": "survey"}, {"day": 1, "action": "call"}],
    }
    # When HQ puts them
    response = await desk.client().put(
        "/api/v1/plugins/retention", json={"enabled": True, "settings": bad}
    )
    # Then the answer names every one of them, and a good change goes through
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {f"settings.{k}" for k in bad}
    good = {"interval_by_make": {"Toyota": {"km": 10_000, "months": 12}}}
    assert (
        await desk.client().put(
            "/api/v1/plugins/retention", json={"enabled": True, "settings": good}
        )
    ).status_code == 200


async def test_a_make_has_its_own_interval_and_a_recompute_applies_new_rules(desk: Desk) -> None:
    # Given a Toyota serviced today, projected at the default 5,000 km / 6 months
    car = await desk.car()
    await desk.service(car, 10_000)
    await desk.app.drain()
    before = (await desk.get("/due?window=365d"))["items"][0]["due_km"]
    # When Toyotas get 10,000 km / 12 months and a manager asks for a recompute
    rules = {"interval_by_make": {"Toyota": {"km": 10_000, "months": 12}}}
    changed = await desk.client().patch("/api/v1/plugins/retention", json={"settings": rules})
    assert changed.status_code == 200, changed.text
    queued = await desk.client().post("/api/v1/retention/recompute")
    advisor = await desk.client("service_advisor").post("/api/v1/retention/recompute")
    await desk.app.drain()
    # Then the car is due at 20,000 km; advisors may not ask for it
    assert (before, (await desk.get("/due?window=365d"))["items"][0]["due_km"]) == (15_000, 20_000)
    assert (queued.status_code, advisor.status_code) == (202, 403)


async def test_a_redelivered_completion_schedules_nothing_twice(desk: Desk) -> None:
    # Given a completed order already handled
    car = await desk.car()
    order = await desk.service(car, 10_000)
    await desk.app.drain()
    # When its event is handled again (a redelivery past the delivery mark)
    async with desk.app.context() as ctx:
        payload = {"order_id": order["id"], "store_id": order["store_id"],
                   "customer_id": car["customer_id"], "vehicle_id": car["id"],
                   "mileage_km": 10_000}  # fmt: skip
        again = Event(uuid.uuid4(), "service_order.completed", ctx.tenant_id, ctx.now(), payload)
        await on_order_completed(ctx, again)
    # Then there is still one survey and one set of follow-up steps
    async with desk.app.context() as ctx:
        surveys = await ctx.session.scalar(select(func.count()).select_from(Survey))
        steps = await ctx.session.scalar(select(func.count()).select_from(FollowUp))
    assert (surveys, steps) == (1, 3)


async def test_export_and_erasure(desk: Desk) -> None:
    # Given a customer with a due car, a state, an answered survey and a call noted
    car = await desk.car()
    customer = car["customer_id"]
    await desk.service(car, 10_000)
    await desk.app.drain()
    await desk.app.drain(schedule="nightly")
    survey = (await desk.get("/surveys"))["items"][0]
    body = {"csi": 1, "comment": "等了三个小时"}
    await desk.client().post(f"/api/v1/retention/surveys/{survey['id']}", json=body)
    [callback] = (await desk.get("/tasks?kind=callback"))["items"]
    await desk.client().post(
        f"/api/v1/retention/tasks/{callback['id']}/outcome",
        json={"outcome": "no_answer", "note": "晚上再打"},
    )
    # When their data is exported, then they are erased and the night comes
    exported = (await desk.client().get(f"/api/v1/customers/{customer}/export")).json()
    erased = await desk.client().post(
        f"/api/v1/customers/{customer}/erase", json={"reason": "客户要求"}
    )
    assert erased.status_code == 200, erased.text
    desk.app.clock.advance(days=130)
    await desk.app.drain(schedule="nightly")
    # Then the export held their comment and note raw; erasure blanked both, cancelled the
    # call and left nothing to remind them of
    mine = exported["plugins"]["retention"]
    assert [s["comment"] for s in mine["surveys"]] == ["等了三个小时"]
    assert [t["note"] for t in mine["tasks"]] == ["晚上再打"]
    assert [(c["from_state"], c["state"]) for c in mine["state_history"]] == [(None, "active")]
    tasks = (await desk.get("/tasks?status=cancelled"))["items"]
    assert [(t["note"], t["outcome"]) for t in tasks] == [("[erased]", "erased")]
    answered = (await desk.get("/surveys?status=answered"))["items"]
    assert [s["comment"] for s in answered] == ["[erased]"]
    async with desk.app.context() as ctx:
        for table in (VehicleDue, StateChange):  # nothing to remind, no timeline of them
            assert await ctx.session.scalar(select(func.count()).select_from(table)) == 0
    assert await desk.messages(customer, "service_due") == []
    assert dt.date.fromisoformat(mine["due"][0]["due_date"]) > dt.date(2026, 3, 10)
