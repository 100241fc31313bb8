"""After a service: the follow-up schedule, the survey, a low score's callback within
business hours and its complaint request, and call outcomes on the worklist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.plugins.retention.on_kit.conftest import Desk


async def _served(desk: Desk, store: str = "SH001", **customer: Any) -> dict[str, Any]:
    car = await desk.car(**customer)
    await desk.service(car, 10_000, store=store)
    await desk.app.drain()
    return car


async def _survey(desk: Desk) -> dict[str, Any]:
    [survey] = (await desk.get("/surveys"))["items"]
    return dict(survey)


async def test_the_schedule_sends_the_survey_then_a_call_then_a_care_message(desk: Desk) -> None:
    # Given a car serviced today
    car = await _served(desk)
    customer = car["customer_id"]
    # When a day, a week and a month pass
    desk.app.clock.advance(days=1)
    await desk.app.drain()
    survey_sent = await desk.messages(customer, "follow_up_survey")
    desk.app.clock.advance(days=6)
    await desk.app.drain()
    calls = (await desk.get("/tasks?kind=follow_up"))["items"]
    desk.app.clock.advance(days=23)
    await desk.app.drain()
    await desk.app.drain(schedule="nightly")  # the sweep finds nothing left to do
    # Then each step happened once, on its day
    assert len(survey_sent) == 1
    assert [(c["customer"]["id"], c["survey_id"]) for c in calls] == [
        (customer, (await _survey(desk))["id"])
    ]
    assert len(await desk.messages(customer, "follow_up_care")) == 1
    assert len(await desk.messages(customer, "follow_up_survey")) == 1
    assert len((await desk.get("/tasks?kind=follow_up"))["items"]) == 1


async def test_a_low_score_opens_a_callback_within_business_hours_and_asks_once(
    desk: Desk,
) -> None:
    # Given a survey of a service at SH001 (open 08:30-12:00 and 13:30-18:00, 8 h a day)
    await _served(desk)
    survey = await _survey(desk)
    desk.app.clock.advance(days=1)  # Wednesday 11 March, 10:00 in Shanghai
    # When staff enter the customer's low scores, and try again
    advisor = desk.client("service_advisor")
    answer = await advisor.post(
        f"/api/v1/retention/surveys/{survey['id']}", json={"csi": 2, "nps": 9, "comment": "等太久"}
    )
    again = await advisor.post(f"/api/v1/retention/surveys/{survey['id']}", json={"csi": 5})
    # Then a callback is due 24 business hours on (Saturday 10:00), and a complaint is
    # asked for once, for this survey
    assert answer.status_code == 200, answer.text
    assert answer.json()["low"] is True and again.status_code == 409
    [callback] = (await desk.get("/tasks?kind=callback"))["items"]
    assert callback["id"] == answer.json()["callback_task_id"]
    due_at = dt.datetime.fromisoformat(callback["due_at"])
    assert due_at == dt.datetime(2026, 3, 14, 2, 0, tzinfo=dt.UTC)
    requested = await desk.app.events("complaint.requested")
    assert [(r["request_id"], r["severity"], r["category"]) for r in requested] == [
        (survey["id"], "B", "service_quality")
    ]
    # And a good score opens nothing; scores out of range are 422s naming the field
    kpis = await desk.get("/kpis")
    assert (kpis["surveys_answered"], kpis["csi_mean"], kpis["nps"]) == (1, 2.0, 100.0)
    for body, field in (({"csi": 6}, "csi"), ({"nps": 11}, "nps"), ({}, "csi")):
        bad = await advisor.post(f"/api/v1/retention/surveys/{survey['id']}", json=body)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, field)


async def test_call_outcomes_keep_a_task_open_close_it_and_honour_do_not_contact(
    desk: Desk,
) -> None:
    # Given a follow-up call due for a customer who consented to marketing by SMS
    car = await _served(desk, marketing_consent=True, consent_channel="sms")
    customer = car["customer_id"]
    consent = {"purpose": "marketing", "channel": "sms", "granted": True,
               "source": "front_desk", "notice_version": "2026-03"}  # fmt: skip
    put = await desk.client().put(
        f"/api/v1/customers/{customer}/consents", json={"consents": [consent]}
    )
    assert put.status_code == 200, put.text
    desk.app.clock.advance(days=7)
    await desk.app.drain()
    [task] = (await desk.get("/tasks?kind=follow_up"))["items"]
    advisor = desk.client("service_advisor")
    url = f"/api/v1/retention/tasks/{task['id']}/outcome"
    # When nobody answers, then the customer asks not to be contacted again
    first = await advisor.post(url, json={"outcome": "no_answer"})
    second = await advisor.post(url, json={"outcome": "do_not_contact", "note": "不要再打"})
    third = await advisor.post(url, json={"outcome": "reached"})
    # Then the first kept it open for tomorrow, the second closed it, the third is refused
    assert first.json()["status"] == "open" and first.json()["attempts"] == 1
    assert first.json()["next_attempt_at"] is not None
    assert (second.json()["status"], second.json()["outcome"]) == ("done", "do_not_contact")
    assert third.status_code == 409
    # And both calls are in the contact log, and marketing consent is withdrawn
    manual = [m for m in await desk.messages(customer) if m.get("template") is None]
    assert len(manual) == 2
    consents = (await desk.client().get(f"/api/v1/customers/{customer}/consents")).json()
    assert [(c["channel"], c["granted"]) for c in consents["consents"]] == [("sms", False)]
    profile = (await desk.client().get(f"/api/v1/customers/{customer}")).json()
    assert profile["marketing_consent"]["granted"] is False
    kpis = await desk.get("/kpis")
    assert (kpis["follow_up_calls"], kpis["follow_up_completion"]) == (1, 1.0)
    # And another store's advisor cannot reach the task; a bad outcome is a 422
    hz = desk.client("service_advisor", "HZ001")
    assert (await hz.post(url, json={"outcome": "reached"})).status_code == 404
    bad = await advisor.post(url, json={"outcome": "maybe"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "outcome")
