"""Service-due reminders: each stage once at its offset, safe under a repeated run,
stopped by a visit (which also converts them), the latest stage only after a gap."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from pitstop_retention.models import Reminder
from tests.plugins.retention.on_kit.conftest import Desk

SERVICED = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
DUE = SERVICED + dt.timedelta(days=125)
"""At the default 40 km/day, 5,000 km are driven in 125 days (before 6 months pass)."""


async def _serviced_car(desk: Desk) -> dict[str, Any]:
    car = await desk.car()
    await desk.service(car, 10_000)
    await desk.app.drain()
    return car


async def _stages(desk: Desk) -> list[tuple[str, str]]:
    async with desk.app.context() as ctx:
        rows = await ctx.session.scalars(select(Reminder).order_by(Reminder.sent_at))
        return [(r.stage, r.status) for r in rows.all()]


async def test_each_stage_goes_once_at_its_offset(desk: Desk) -> None:
    # Given a car serviced today, due in 125 days
    car = await _serviced_car(desk)
    sent = []
    # When the nightly run goes the day before the first offset, on it (twice), on the
    # due day and 14 and 45 days after it
    for at in (DUE - dt.timedelta(days=15), DUE - dt.timedelta(days=14), None, DUE,
               DUE + dt.timedelta(days=14), DUE + dt.timedelta(days=45)):  # fmt: skip
        if at is not None:
            desk.app.clock.set(at)
        await desk.app.drain(schedule="nightly")
        sent.append(len(await desk.messages(car["customer_id"], "service_due")))
    # Then one reminder goes per stage, none before the first and none on the repeated run
    assert sent == [0, 1, 1, 2, 3, 4]
    assert [s for s, _ in await _stages(desk)] == ["before", "on_due", "overdue_14", "overdue_45"]
    message = (await desk.messages(car["customer_id"], "service_due"))[0]
    assert (message["purpose"], message["store_id"]) == ("service", desk.app.stores["SH001"])


async def test_a_visit_stops_the_cycle_and_converts_its_reminder(desk: Desk) -> None:
    # Given a car reminded 14 days before its due date
    car = await _serviced_car(desk)
    desk.app.clock.set(DUE - dt.timedelta(days=14))
    await desk.app.drain(schedule="nightly")
    # When it comes in 10 days later, and the nightly run goes on the old due day
    desk.app.clock.advance(days=10)
    await desk.service(car, 15_000)
    await desk.app.drain()
    desk.app.clock.set(DUE)
    await desk.app.drain(schedule="nightly")
    # Then no further reminder went for the old cycle, and the first one converted
    assert len(await desk.messages(car["customer_id"], "service_due")) == 1
    async with desk.app.context() as ctx:
        reminder = (await ctx.session.scalars(select(Reminder))).one()
    assert reminder.converted_at is not None and reminder.converted_order_id is not None
    kpis = await desk.get("/kpis")
    assert (kpis["reminders_sent"], kpis["reminder_conversion"]) == (1, 1.0)
    assert kpis["on_time_maintenance"] == 1.0  # 4 days before its due date


async def test_after_a_gap_only_the_latest_stage_goes(desk: Desk) -> None:
    # Given a car whose nightly runs did not happen until 20 days past its due date
    car = await _serviced_car(desk)
    desk.app.clock.set(DUE + dt.timedelta(days=20))
    # When the run finally goes
    await desk.app.drain(schedule="nightly")
    # Then one reminder goes, the overdue one, not three at once
    assert len(await desk.messages(car["customer_id"], "service_due")) == 1
    assert await _stages(desk) == [("overdue_14", "sent")]


async def test_a_booked_car_gets_no_reminder_before_its_visit(desk: Desk) -> None:
    # Given two cars serviced the same day; the first has a service order open (booked)
    booked, other = await _serviced_car(desk), await _serviced_car(desk)
    booking = await desk.app.order(str(booked["customer_id"]), str(booked["id"]), store="SH001")
    # When the nightly run reaches their first offset
    desk.app.clock.set(DUE - dt.timedelta(days=14))
    await desk.app.drain(schedule="nightly")
    # Then only the car that is not expected is reminded
    assert await desk.messages(booked["customer_id"], "service_due") == []
    assert len(await desk.messages(other["customer_id"], "service_due")) == 1
    # When the booked car comes in and the run goes on the old due day
    done = await desk.client().post(
        f"/api/v1/service-orders/{booking['id']}/complete", json={"mileage_km": 14_000}
    )
    assert done.status_code == 200, done.text
    await desk.app.drain()
    desk.app.clock.set(DUE)
    await desk.app.drain(schedule="nightly")
    # Then the booked car's old cycle never reminds: the visit answered it
    assert await desk.messages(booked["customer_id"], "service_due") == []


async def test_a_stores_shorter_interval_reminds_at_once(desk: Desk) -> None:
    # Given a car serviced at SH001, 80 days on: due on day 125, nothing reminded yet
    car = await _serviced_car(desk)
    desk.app.clock.set(SERVICED + dt.timedelta(days=80))
    await desk.app.drain(schedule="nightly")
    assert await desk.messages(car["customer_id"], "service_due") == []
    # When HQ gives SH001 3,000 km: at 40 km a day the car fell due on day 75
    url = f"/api/v1/retention/store-intervals/{desk.app.stores['SH001']}"
    put = await desk.client().put(url, json={"km": 3_000, "months": 3})
    assert put.status_code == 200, put.text
    await desk.app.drain()
    # Then the re-projection reminds it of the stage it has reached, without the night
    assert await _stages(desk) == [("on_due", "sent")]
    # And the nightly run the same day sends nothing twice
    await desk.app.drain(schedule="nightly")
    assert len(await desk.messages(car["customer_id"], "service_due")) == 1


async def test_a_stage_long_past_is_skipped_and_never_sent(both_desk: Desk) -> None:
    desk = both_desk
    # Given two cars, the second serviced a day after the first (due a day later)
    late = await _serviced_car(desk)
    desk.app.clock.advance(days=1)
    timely = await _serviced_car(desk)
    # When the first night runs 22 days past the first car's due date: its overdue_14
    # stage is 8 days old, past the 7 days' grace; the second car's is 7 days old
    desk.app.clock.set(DUE + dt.timedelta(days=22))
    await desk.app.drain(schedule="nightly")
    # Then the second car is reminded; the first is not, its stage recorded as skipped
    assert len(await desk.messages(timely["customer_id"], "service_due")) == 1
    assert await desk.messages(late["customer_id"], "service_due") == []
    assert sorted(await _stages(desk)) == [("overdue_14", "sent"), ("overdue_14", "skipped_late")]
    # When the nightly run goes again (redelivered) and the next day
    await desk.app.drain(schedule="nightly")
    desk.app.clock.advance(days=1)
    await desk.app.drain(schedule="nightly")
    # Then the skipped stage is never sent later, and nothing goes twice
    assert await desk.messages(late["customer_id"], "service_due") == []
    assert len(await desk.messages(timely["customer_id"], "service_due")) == 1
    # When the cycle's next stage comes on its day, and its run is redelivered
    desk.app.clock.set(DUE + dt.timedelta(days=45))
    await desk.app.drain(schedule="nightly")
    await desk.app.drain(schedule="nightly")
    # Then it goes once, and the KPIs count only what was sent
    assert len(await desk.messages(late["customer_id"], "service_due")) == 1
    assert (await _stages(desk))[-1] == ("overdue_45", "sent")
    assert (await desk.get("/kpis"))["reminders_sent"] == 2


async def test_a_grace_of_zero_sends_only_on_the_stages_day(desk: Desk) -> None:
    # Given a tenant whose reminders go only on their day, and a car due in 125 days
    rules = {"reminder_grace_days": 0}
    changed = await desk.client().patch("/api/v1/plugins/retention", json={"settings": rules})
    assert changed.status_code == 200, changed.text
    car = await _serviced_car(desk)
    # When the nightly run misses the due day and goes the day after it, then on overdue_14
    desk.app.clock.set(DUE + dt.timedelta(days=1))
    await desk.app.drain(schedule="nightly")
    desk.app.clock.set(DUE + dt.timedelta(days=14))
    await desk.app.drain(schedule="nightly")
    # Then the missed day's stage is skipped and the one on its day goes
    assert len(await desk.messages(car["customer_id"], "service_due")) == 1
    assert await _stages(desk) == [("on_due", "skipped_late"), ("overdue_14", "sent")]
