"""The customer's survey page, ``/api/v1/retention/r/{token}``: no login, one signed link
per survey, single use, rate-limited - and every way in without the right link is a 404."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.messaging.models import Message
from tests.plugins.retention.on_kit.conftest import Desk


async def _surveyed(desk: Desk) -> tuple[str, str, dict[str, Any]]:
    """A car serviced and a day gone: its survey message sent; ``(survey id, link, car)``."""
    car = await desk.car()
    await desk.service(car, 10_000)
    await desk.app.drain()
    desk.app.clock.advance(days=1)
    await desk.app.drain()
    [survey] = (await desk.get("/surveys"))["items"]
    async with desk.app.context("retention") as ctx:
        sent = await ctx.session.scalars(
            select(Message.data).where(Message.template == "follow_up_survey")
        )
        [data] = sent.all()
    return survey["id"], str(data["link"]), car


async def test_the_customer_answers_once_through_the_link_without_logging_in(desk: Desk) -> None:
    # Given a survey whose day-1 message went out with the customer's link in its data
    survey_id, link, car = await _surveyed(desk)
    assert link.startswith("/api/v1/retention/r/")
    # When the customer opens the link, with no token of any kind
    page = await desk.app.http.get(link)
    # Then the page names the store and asks, with nothing personal on it
    assert page.status_code == 200, page.text
    assert page.json()["answered"] is False and page.json()["store_name"]
    assert car["customer_id"] not in page.text
    # When they answer a 5 and a 10, then try again with a 1
    first = await desk.app.http.post(link, json={"csi": 5, "nps": 10})
    again = await desk.app.http.post(link, json={"csi": 1})
    # Then the first answer counts, the second is a 409, and staff see the scores
    assert first.status_code == 200 and first.json()["answered"] is True, first.text
    assert again.status_code == 409, again.text
    [answered] = (await desk.get("/surveys?status=answered"))["items"]
    assert (answered["id"], answered["csi"], answered["nps"]) == (survey_id, 5, 10)


async def test_no_way_in_without_the_right_link(desk: Desk) -> None:
    # Given a survey and its link
    survey_id, link, _ = await _surveyed(desk)
    prefix, token = link.rsplit("/", 1)
    body, _, mac = token.partition(".")
    async with desk.app.context("retention") as ctx:
        other_purpose = ctx.signed_link("recall", uuid.UUID(survey_id), valid_for=dt.timedelta(1))
        no_such_survey = ctx.signed_link("survey", uuid.uuid4(), valid_for=dt.timedelta(1))
    staff = await desk.client().headers()
    attempts = {
        "altered": f"{prefix}/{body}.{mac[:-2]}AA",
        "garbage": f"{prefix}/not-a-token",
        "another purpose": f"{prefix}/{other_purpose}",
        "no such survey": f"{prefix}/{no_such_survey}",
    }
    # When each is opened (the altered one with a staff member's bearer token too)
    for name, url in attempts.items():
        opened = await desk.app.http.get(url, headers=staff if name == "altered" else {})
        # Then each is the same 404, saying nothing about why
        assert (opened.status_code, opened.json()["code"]) == (404, "link_invalid"), name
    # And the link is no bearer token for the staff routes
    sneaky = await desk.app.http.get(
        "/api/v1/retention/surveys", headers={"Authorization": f"Bearer {token}"}
    )
    assert sneaky.status_code == 401, sneaky.text
    # And after 30 days the link itself has expired
    desk.app.clock.advance(days=31)
    assert (await desk.app.http.get(link)).status_code == 404


async def test_one_link_opens_twenty_times_an_hour(desk: Desk) -> None:
    # Given a survey link
    _, link, _ = await _surveyed(desk)
    # When it is opened 21 times in a row
    codes = [(await desk.app.http.get(link)).status_code for _ in range(21)]
    # Then the first 20 answer and the 21st waits
    assert codes == [200] * 20 + [429]
