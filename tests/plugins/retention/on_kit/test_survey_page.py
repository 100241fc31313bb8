"""The customer's survey page, ``/api/v1/retention/r/{token}``: no login, one signed link
per survey, single use, rate-limited - and every way in without the right link is a 404."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.messaging.models import Message
from tests.plugins.retention.on_kit.conftest import Desk

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
"""What a phone's browser sends: the page, not the JSON."""


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
    # And once the tenant turns retention off, the good link is the same kind 404 page
    off = await desk.client().put("/api/v1/plugins/retention", json={"enabled": False})
    assert off.status_code == 200, off.text
    gone = await desk.app.http.get(link, headers=BROWSER)
    assert gone.status_code == 404 and 'id="note-invalid"' in gone.text
    # And after 30 days the link itself has expired: 410, to an API client and a browser
    desk.app.clock.advance(days=31)
    expired = await desk.app.http.get(link)
    assert (expired.status_code, expired.json()["code"]) == (410, "link_expired")
    page = await desk.app.http.get(link, headers=BROWSER)
    assert page.status_code == 410 and 'id="note-expired"' in page.text, page.text
    # And a browser opening the altered link gets the kind page, still a 404
    altered = await desk.app.http.get(attempts["altered"], headers=BROWSER)
    assert altered.status_code == 404 and "链接无法打开" in altered.text
    assert altered.headers["content-type"].startswith("text/html")


async def test_one_link_opens_twenty_times_an_hour(desk: Desk) -> None:
    # Given a survey link
    _, link, _ = await _surveyed(desk)
    # When it is opened 21 times in a row, the last time by a browser
    codes = [(await desk.app.http.get(link)).status_code for _ in range(20)]
    last = await desk.app.http.get(link, headers=BROWSER)
    # Then the first 20 answer and the 21st waits: a page saying so, with Retry-After
    assert codes == [200] * 20
    assert (last.status_code, last.headers["retry-after"]) == (429, "3600")
    assert 'id="note-busy"' in last.text


async def test_a_phone_gets_the_page_answers_once_and_sees_the_thanks(desk: Desk) -> None:
    # Given a survey link, opened by a phone's browser
    survey_id, link, car = await _surveyed(desk)
    page = await desk.app.http.get(link, headers=BROWSER)
    # Then it is a page in Chinese with the 0-10 question and a comment box, nothing personal
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and "向亲友推荐" in page.text
    assert page.text.count('name="nps"') == 11 and 'name="comment"' in page.text
    assert car["customer_id"] not in page.text and car["plate"] not in page.text
    # And it runs no script: no inline script, and the policy allows none nor inline styles
    policy = page.headers["content-security-policy"]
    assert "<script" not in page.text and "script-src" not in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    style = page.text.split("<style>", 1)[1].split("</style>", 1)[0]
    pinned = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{pinned}'" in policy  # the one stylesheet, pinned by hash
    assert page.headers["referrer-policy"] == "no-referrer"  # the token stays in the URL bar
    assert page.headers["vary"] == "Accept"  # no cache hands the page to an API client
    # When the customer picks 3 and writes a comment
    form = {"nps": "3", "comment": "等了很久"}
    sent = await desk.app.http.post(f"{link}/answer", data=form, follow_redirects=False)
    # Then they are sent back to the link, which now thanks them and says the store will call
    assert (sent.status_code, sent.headers["location"]) == (303, link), sent.text
    thanks = await desk.app.http.get(link, headers=BROWSER)
    assert thanks.status_code == 200 and 'id="note-thanks"' in thanks.text
    assert "门店会尽快与您联系" in thanks.text
    # And staff see the score and the comment, and the answer is audited as the customer's
    [answered] = (await desk.get("/surveys?status=answered"))["items"]
    assert (answered["id"], answered["nps"], answered["csi"], answered["low"]) == (
        survey_id, 3, None, True,
    )  # fmt: skip
    audit = (await desk.get_core("/audit?action=retention.survey_answered"))["items"]
    assert [(e["actor_kind"], e["detail"]["by"]) for e in audit] == [("link", "customer")]
    # When the form is posted again (the back button)
    again = await desk.app.http.post(f"{link}/answer", data={"nps": "10"})
    # Then a 409 page says it was answered already, and the API client still gets JSON
    assert again.status_code == 409 and 'id="note-used"' in again.text
    assert (await desk.app.http.get(link)).json()["answered"] is True


async def test_a_bad_form_comes_back_naming_the_field_in_the_readers_language(
    desk: Desk,
) -> None:
    # Given a survey link, opened in English
    _, link, _ = await _surveyed(desk)
    page = await desk.app.http.get(f"{link}?lang=en", headers=BROWSER)
    assert '<html lang="en">' in page.text and f'action="{link}/answer?lang=en"' in page.text
    # When the form comes with a score out of range (a hand-made post), or with no score
    wrong = await desk.app.http.post(f"{link}/answer?lang=en", data={"nps": "11", "csi": "4"})
    empty = await desk.app.http.post(f"{link}/answer", data={"comment": "好"})
    # Then each is the form again, 422, the bad field named and the other choices kept
    assert wrong.status_code == 422 and 'id="error-nps"' in wrong.text
    assert "from 0 to 10" in wrong.text and 'value="4" checked' in wrong.text
    assert empty.status_code == 422 and 'id="error-scores"' in empty.text
    assert "请至少选择一项评分" in empty.text and ">好</textarea>" in empty.text
    # And an API client's bad JSON is the core's problem naming the field, as before
    api = await desk.app.http.post(link, json={"nps": 11})
    assert (api.status_code, api.json()["errors"][0]["field"]) == (422, "nps"), api.text
    # And nothing was answered
    assert (await desk.get("/surveys?status=answered"))["items"] == []
