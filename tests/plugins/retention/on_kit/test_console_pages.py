"""Retention's console page (``console_pages``): the due list and the calls to make, with
one-click outcomes that go through the API's own path (the audit row included), the
reader's store scope and masking. SQLite only: the page adds no query of its own."""

from __future__ import annotations

import re

from tests.plugins.retention.on_kit.conftest import Desk


async def _a_car_due_soon_with_a_follow_up_call(desk: Desk) -> dict[str, str]:
    """A car driven 200 km a day, serviced at SH001, a week ago: due in about 25 days."""
    car = await desk.car(km=10_000)
    desk.app.clock.advance(days=30)
    await desk.service(car, 16_000)
    await desk.app.drain()
    desk.app.clock.advance(days=7)
    await desk.app.drain()
    return car


async def test_the_page_lists_due_cars_and_calls_and_closes_a_call_in_one_click(
    desk: Desk,
) -> None:
    # Given a car due within 30 days and its follow-up call waiting at SH001
    car = await _a_car_due_soon_with_a_follow_up_call(desk)
    [task] = (await desk.get("/tasks?kind=follow_up"))["items"]
    advisor = desk.app.console("service_advisor", "SH001")
    # When the SH001 advisor opens the retention page
    page = await advisor.get("/console/retention/")
    # Then the call and the car are listed, in Chinese, with the customer to call
    assert page.status_code == 200, page.text
    assert '<a href="/console/retention/">客户保持</a>' in page.text
    row = re.search(rf'<tr id="task-{task["id"]}">(.*?)</tr>', page.text, re.S)
    assert row and "服务回访" in row.group(1) and task["customer"]["phone"] in row.group(1)
    due = page.text.split('id="due"')[1]
    assert f"/console/customers/{car['customer_id']}" in due and "即将到期" in due
    # When they record "booked" with one click
    done = await advisor.post(
        f"/console/retention/tasks/{task['id']}/outcome", {"outcome": "booked"}
    )
    # Then the task is closed through the API's path, audited, and off the page
    assert done.status_code == 303 and done.headers["location"] == "/console/retention/"
    assert (await desk.get("/tasks?kind=follow_up"))["items"] == []
    audit = await desk.client().get("/api/v1/audit?action=retention.task_outcome")
    assert [e["detail"]["outcome"] for e in audit.json()["items"]] == ["booked"]
    assert f'id="task-{task["id"]}"' not in (await advisor.get("/console/retention/")).text
    # And a second click is the 409 page, an unknown outcome a 422 page
    again = await advisor.post(
        f"/console/retention/tasks/{task['id']}/outcome", {"outcome": "booked"}
    )
    assert again.status_code == 409 and "<html" in again.text
    bad = await advisor.post(f"/console/retention/tasks/{task['id']}/outcome", {"outcome": "maybe"})
    assert bad.status_code == 422
    # And the 422 page names the field and says why, in Chinese
    reasons = bad.text.split('id="reasons">', 1)[-1].split("</ul>", 1)[0]
    assert "<code>outcome</code>" in reasons and not reasons.strip().isascii(), bad.text


async def test_the_page_keeps_to_the_readers_stores_and_masks_for_the_reader(
    desk: Desk,
) -> None:
    # Given SH001's follow-up call
    await _a_car_due_soon_with_a_follow_up_call(desk)
    [task] = (await desk.get("/tasks?kind=follow_up"))["items"]
    phone = task["customer"]["phone"]
    # When HZ001's advisor opens the page and tries to close SH001's call by URL
    hz = desk.app.console("service_advisor", "HZ001")
    listed = await hz.get("/console/retention/")
    refused = await hz.post(
        f"/console/retention/tasks/{task['id']}/outcome", {"outcome": "reached"}
    )
    # Then nothing of SH001 is listed and the post is the 404 page, the task still open
    assert task["id"] not in listed.text and phone not in listed.text
    assert refused.status_code == 404
    assert len((await desk.get("/tasks?kind=follow_up"))["items"]) == 1
    # When HQ's analyst (who sees no phone, and may not work calls) opens it
    analyst = await desk.app.console("hq_analyst").get("/console/retention/")
    # Then the phone is masked and there is no outcome button
    assert phone not in analyst.text and "139****" + phone[-4:] in analyst.text
    assert "data-outcome" not in analyst.text
    # And a technician may not open the page
    technician = await desk.app.console("technician", "SH001").get("/console/retention/")
    assert technician.status_code == 403


async def test_hq_sets_and_clears_a_stores_interval_at_the_console(desk: Desk) -> None:
    # Given HQ at the intervals page, every store on the chain's 5,000 km / 6 months
    hq = desk.app.console("hq_admin")
    sh001 = desk.app.stores["SH001"]
    page = await hq.get("/console/retention/intervals")
    assert page.status_code == 200, page.text
    assert "保养周期" in page.text and page.text.count('class="default"') == len(desk.app.stores)
    # When HQ saves 3,000 km / 3 months for SH001
    saved = await hq.post(f"/console/retention/intervals/{sh001}", {"km": "3000", "months": "3"})
    # Then it is SH001's own, through the API's path (listed there, audited)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/console/retention/intervals"
    [own] = (await desk.get("/store-intervals"))["stores"]
    assert (own["store_id"], own["km"], own["months"]) == (sh001, 3_000, 3)
    audit = await desk.client().get("/api/v1/audit?action=retention.store_interval_set")
    assert [e["detail"] for e in audit.json()["items"]] == [{"km": 3_000, "months": 3}]
    row = re.search(rf'<tr id="store-{sh001}" class="own">(.*?)</tr>', (
        await hq.get("/console/retention/intervals")).text, re.S)  # fmt: skip
    assert row and 'value="3000"' in row.group(1) and "本店设定" in row.group(1)
    # When HQ sends a word, or a figure out of bounds
    word = await hq.post(f"/console/retention/intervals/{sh001}", {"km": "lots", "months": "3"})
    small = await hq.post(f"/console/retention/intervals/{sh001}", {"km": "10", "months": "3"})
    # Then each is the 422 page, and nothing changed
    assert (word.status_code, small.status_code) == (422, 422) and "<html" in word.text
    assert (await desk.get("/store-intervals"))["stores"][0]["km"] == 3_000
    # When HQ goes back to the chain's, Then SH001 has none of its own
    cleared = await hq.post(f"/console/retention/intervals/{sh001}/clear", {})
    assert cleared.status_code == 303 and (await desk.get("/store-intervals"))["stores"] == []


async def test_an_advisor_sees_their_stores_interval_and_may_not_change_it(desk: Desk) -> None:
    # Given the HZ001 advisor
    advisor = desk.app.console("service_advisor", "HZ001")
    # When they open the page, and try to set SH001's interval by URL
    page = await advisor.get("/console/retention/intervals")
    tried = await advisor.post(
        f"/console/retention/intervals/{desk.app.stores['SH001']}", {"km": "3000", "months": "3"}
    )
    # Then only HZ001 is listed, without a form, and the post is refused
    assert page.status_code == 200
    assert f"store-{desk.app.stores['HZ001']}" in page.text
    assert f"store-{desk.app.stores['SH001']}" not in page.text
    assert 'action="/console/retention/intervals' not in page.text
    assert tried.status_code == 403
    assert (await desk.get("/store-intervals"))["stores"] == []
