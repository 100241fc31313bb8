"""The complaints pages of the web console, through ``console_pages`` and
``customer_panels``: the worklist's SLA clocks, the one-click acknowledgement, the 360°
panel, and the same store scope, masking and CSRF as every core page. SQLite only: the
pages add one scoped query whose behaviour does not depend on the database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import pitstop_complaints
from pitstop.testing import PluginApp, plugin_app
from tests.plugins.complaints import tiers
from tests.plugins.complaints.conftest import FAST, MONDAY_10
from tests.support.kit import DEMO_STORES

PHONE = "13912345678"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[PluginApp]:
    tiers.TIERS.clear()
    async with plugin_app(
        pitstop_complaints,
        tiers,
        settings=FAST,
        stores=DEMO_STORES,
        start=MONDAY_10,
        directory=tmp_path,
    ) as kit:
        yield kit
    tiers.TIERS.clear()


async def _log(app: PluginApp, severity: str, store: str, customer_id: str, text: str) -> Any:
    body = {
        "customer_id": customer_id,
        "store_id": app.stores[store],
        "severity": severity,
        "category": "service_quality",
        "channel": "phone",
        "description": text,
    }
    response = await app.client().post("/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _row(html: str, complaint_id: str) -> str:
    match = re.search(rf'<tr id="complaint-{complaint_id}">(.*?)</tr>', html, re.S)
    assert match, f"complaint {complaint_id} is not on the page"
    return match.group(1)


async def test_the_worklist_shows_each_clock_and_acknowledges_in_one_click(
    app: PluginApp,
) -> None:
    # Given a grade-A complaint at SH001 (response 10 min, 24x7), one at SH002, and a
    # grade-A one at SH001 whose first response is already overdue
    customer = str((await app.customer())["id"])
    late = await _log(app, "A", "SH001", customer, "客户反映异响")
    app.clock.advance(minutes=15)
    fresh = await _log(app, "A", "SH001", customer, f"客户电话 {PHONE} 要求回电")
    other = await _log(app, "A", "SH002", customer, "另一家门店的投诉")
    advisor = app.console("service_advisor", "SH001")
    # When the SH001 advisor opens the worklist
    page = await advisor.get("/console/complaints/")
    # Then it is the console's page, in Chinese, with the plugin's link in the header
    assert page.status_code == 200, page.text
    assert '<a href="/console/complaints/">投诉</a>' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    # And the fresh complaint's first response has 10 minutes left, counted down live
    fresh_row = _row(page.text, fresh["id"])
    assert re.search(r'class="sla running" data-due="[^"]+"[^>]*>剩余 0h 10m', fresh_row)
    # And the late one's first response is breached, with its escalation level shown
    late_row = _row(page.text, late["id"])
    assert 'class="sla breached"' in _cell(late_row, "response")
    assert _cell(late_row, "escalation").strip() == str(late["escalation_level"])
    # And the other store's complaint is not listed
    assert other["id"] not in page.text
    # When they acknowledge the fresh complaint in one click
    done = await advisor.post(f"/console/complaints/{fresh['id']}/acknowledge")
    # Then it is acknowledged through the workflow: the response clock is met
    assert done.status_code == 303 and done.headers["location"] == "/console/complaints/"
    shown = await app.client().get(f"/api/v1/complaints/{fresh['id']}")
    assert shown.json()["status"] == "acknowledged"
    assert shown.json()["sla"]["first_response"]["met_at"] is not None
    after = await advisor.get("/console/complaints/")
    assert 'class="sla met"' in _cell(_row(after.text, fresh["id"]), "response")
    # And a second click is the 409 page, not a 500, saying why in the plugin's Chinese
    again = await advisor.post(f"/console/complaints/{fresh['id']}/acknowledge")
    assert again.status_code == 409 and "<html" in again.text
    reasons = re.search(r'<ul class="reasons" id="reasons">(.*?)</ul>', again.text, re.S)
    assert reasons and "投诉不能从" in reasons.group(1), again.text


def _cell(row: str, name: str) -> str:
    match = re.search(rf'<td class="{name}">(.*?)</td>', row, re.S)
    assert match, name
    return match.group(1)


async def test_plugin_pages_keep_the_consoles_scope_masking_and_csrf(app: PluginApp) -> None:
    # Given a complaint at SH002 whose description quotes a phone number
    customer = str((await app.customer())["id"])
    other = await _log(app, "B", "SH002", customer, f"请回电 {PHONE}")
    # When the SH001 advisor acknowledges it by URL
    advisor = app.console("service_advisor", "SH001")
    refused = await advisor.post(f"/console/complaints/{other['id']}/acknowledge")
    # Then it is the 404 page, and the complaint is untouched
    assert refused.status_code == 404 and "<html" in refused.text
    assert (await app.client().get(f"/api/v1/complaints/{other['id']}")).json()["status"] == "new"
    # When a post comes without the CSRF token
    forged = await app.console().post(f"/console/complaints/{other['id']}/acknowledge", csrf=False)
    # Then it is refused
    assert forged.status_code == 403
    # When HQ's analyst (who sees no phone) and admin read the worklist
    analyst = await app.console("hq_analyst").get("/console/complaints/")
    admin = await app.console("hq_admin").get("/console/complaints/")
    # Then the analyst sees the phone masked inside the text, the admin in full
    assert PHONE not in analyst.text and "139****5678" in analyst.text
    assert PHONE in admin.text
    # And a technician, without complaints:read, gets no link and the 403 page
    technician = app.console("technician", "SH001")
    search = await technician.get("/console/search")
    assert "/console/complaints/" not in search.text
    assert (await technician.get("/console/complaints/")).status_code == 403


async def test_the_360_page_shows_the_complaints_panel_and_nothing_when_off(
    app: PluginApp,
) -> None:
    # Given a customer with a complaint at SH001
    customer = str((await app.customer())["id"])
    await _log(app, "C", "SH001", customer, f"回电 {PHONE}")
    # When HQ's analyst opens the customer's 360° page
    page = await app.console("hq_analyst").get(f"/console/customers/{customer}")
    # Then the plugin's panel replaces its generic section, masked for the reader
    assert page.status_code == 200, page.text
    panel = re.search(
        r'<section class="card plugin-panel" id="panel-complaints">(.*?)</section>', page.text, re.S
    )
    assert panel and "该客户的投诉" in panel.group(1) and "新登记" in panel.group(1)
    assert "139****5678" in panel.group(1) and PHONE not in page.text
    assert 'id="section-complaints"' not in page.text
    # When the tenant turns the plugin off
    off = await app.client().patch("/api/v1/plugins/complaints", json={"enabled": False})
    assert off.status_code == 200, off.text
    # Then the panel, the link and the page are gone (the page is the 404 page)
    again = await app.console("hq_admin").get(f"/console/customers/{customer}")
    assert "panel-complaints" not in again.text and "/console/complaints/" not in again.text
    gone = await app.console("hq_admin").get("/console/complaints/")
    assert gone.status_code == 404 and "<html" in gone.text


def test_clock_states_follow_the_complaint() -> None:
    # Given a complaint model's clock fields (no database needed)
    from pitstop_complaints.console import clock_of
    from pitstop_complaints.models import Complaint

    now = MONDAY_10
    complaint = Complaint(
        response_due_at=now + dt.timedelta(minutes=5),
        response_met_at=None,
        response_breached_at=None,
        paused_at=None,
    )
    # Then a running clock counts the seconds left, a paused one says so, a met one too
    assert clock_of(complaint, "response", now) == {
        "state": "running",
        "due_at": now + dt.timedelta(minutes=5),
        "seconds_left": 300,
    }
    complaint.paused_at = now
    assert clock_of(complaint, "response", now)["state"] == "paused"
    complaint.response_met_at = now
    assert clock_of(complaint, "response", now)["state"] == "met"


async def _staff_id(app: PluginApp, role: str, store: str) -> str:
    await app.client(role, store=store).headers()  # the kit hires the role on first use
    staff = (await app.client().get("/api/v1/staff?limit=200")).json()["items"]
    return str(next(s["id"] for s in staff if s["role"] == role
                    and s["stores"] == [app.stores[store]]))  # fmt: skip


async def test_a_manager_works_a_complaint_through_on_its_page(app: PluginApp) -> None:
    # Given a complaint at SH001, and SH001's manager on its page
    customer = str((await app.customer())["id"])
    complaint = await _log(app, "B", "SH001", customer, "保养后异响")
    case = f"/console/complaints/{complaint['id']}"
    manager = app.console("store_manager", store="SH001")
    page = await manager.get(case)
    assert page.status_code == 200, page.text
    assert 'id="acknowledge"' in page.text and 'id="assign-form"' in page.text
    assert (await manager.post(f"/console/complaints/{complaint['id']}/acknowledge")).is_redirect
    assert 'id="status-form"' in (await manager.get(case)).text
    # When they move it to investigating with a note, through the API's workflow
    moved = await manager.post(f"{case}/status", {"status": "investigating", "note": "已联系"})
    # Then the API sees the move, with the note on its timeline
    assert moved.status_code == 303, moved.text
    api = app.client()
    assert (await api.get(f"/api/v1/complaints/{complaint['id']}")).json()["status"] == (
        "investigating"
    )
    history = (await api.get(f"/api/v1/complaints/{complaint['id']}/activities")).json()
    assert history[-1]["to_status"] == "investigating" and history[-1]["note"] == "已联系"
    # When they reassign it to SH001's advisor, then to SH002's
    advisor = await _staff_id(app, "service_advisor", "SH001")
    far = await _staff_id(app, "service_advisor", "SH002")
    assigned = await manager.post(f"{case}/assign", {"staff_id": advisor})
    refused = await manager.post(f"{case}/assign", {"staff_id": far})
    # Then the first is taken and the second is named beside the choice, in Chinese
    assert assigned.status_code == 303
    shown = (await api.get(f"/api/v1/complaints/{complaint['id']}")).json()
    assert shown["assignee_id"] == advisor
    assert refused.status_code == 422 and "该门店没有这位在职员工" in refused.text
    # And the page names the assignee, and the choices name SH001's people, not their ids
    again = (await manager.get(case)).text
    assignee = re.search(r'<dd id="assignee">([^<]*)</dd>', again)
    assert assignee and assignee.group(1) == "service_advisor · 服务顾问"
    assert f'<option value="{advisor}" selected>service_advisor · 服务顾问</option>' in again
    # And the worklist names the assignee in its row
    worklist = (await manager.get("/console/complaints/")).text
    assert '<td class="assignee">service_advisor</td>' in _row(worklist, complaint["id"])
    # And an analyst, whose policy masks names, reads the assignee masked
    seen_page = await app.console("hq_analyst").get(case)
    seen = seen_page.text
    assert seen_page.status_code == 200, seen[:3000]
    masked = re.search(r'<dd id="assignee">([^<]*)</dd>', seen)
    assert masked and masked.group(1).startswith("s*") and "service_advisor" not in seen
    # When they resolve it without saying how, then with
    blank = await manager.post(f"{case}/resolve", {"resolution": " "})
    resolved = await manager.post(
        f"{case}/resolve", {"resolution": "更换皮带", "first_contact": "1"}
    )
    # Then the blank one asks for the resolution; the other resolves it
    assert blank.status_code == 422 and 'id="resolve-resolution-error">必填<' in blank.text
    assert resolved.status_code == 303
    assert (await api.get(f"/api/v1/complaints/{complaint['id']}")).json()["status"] == "resolved"
    # When they try to move a resolved complaint back to work, then close it
    back = await manager.post(f"{case}/status", {"status": "investigating"})
    closed = await manager.post(f"{case}/close", {"note": "客户满意"})
    # Then the move is refused with the reason (reopen is the way), and it closes
    assert back.status_code == 409 and "已解决的投诉只能通过重新打开继续处理" in back.text
    assert closed.status_code == 303
    assert (await api.get(f"/api/v1/complaints/{complaint['id']}")).json()["status"] == "closed"
    # And SH002's manager cannot open or work it, a technician may not work it, and a
    # post without the CSRF token is refused
    other = app.console("store_manager", store="SH002")
    assert (await other.get(case)).status_code == 404
    assert (await other.post(f"{case}/reopen", {"note": "x"})).status_code == 404
    technician = app.console("technician", store="SH001")
    assert (await technician.post(f"{case}/reopen", {"note": "x"})).status_code == 403
    assert (await manager.post(f"{case}/reopen", {"note": "x"}, csrf=False)).status_code == 403
    assert (await api.get(f"/api/v1/complaints/{complaint['id']}")).json()["status"] == "closed"
