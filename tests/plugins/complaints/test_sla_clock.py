"""SLA rules on top of business time, with an injected clock: warning, breach, escalation
levels, top tiers, per-tier overrides, pause/resume, reopen, and policy changes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop_complaints.models import ComplaintNotification
from tests.plugins.complaints.conftest import FAST, MONDAY_10, Desk, staff_of

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Shanghai wall-clock instant in November 2026 (23rd is a Monday)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def notified(desk: Desk, complaint_id: str) -> set[tuple[str, str]]:
    async with desk.runtime.sessions() as session:
        with tenant_scope(desk.crm.tenant_id):
            rows = await session.scalars(
                select(ComplaintNotification).where(
                    ComplaintNotification.complaint_id == uuid.UUID(complaint_id)
                )
            )
            return {(n.reason, str(n.recipient_id)) for n in rows.all()}


async def escalations(desk: Desk, complaint_id: str) -> list[int]:
    return [
        e["level"]
        for e in await desk.events("complaint.escalated")
        if e["complaint_id"] == complaint_id
    ]


async def test_warning_breach_and_every_escalation_level_fire_in_order(desk: Desk) -> None:
    # Given a grade-A complaint (24x7: respond in 10m, resolve in 1h; levels after 0/30m/1h)
    complaint = await desk.log("A")
    cid = complaint["id"]
    manager = (await staff_of(desk, "store_manager"))[0]
    analyst = (await staff_of(desk, "hq_analyst"))[0]
    admin = (await staff_of(desk, "hq_admin"))[0]
    # When the clock reaches 80% of the response target
    desk.advance(minutes=8)
    await desk.check(cid)
    # Then the warning fires, for the assignee, and nothing is breached yet
    body = await desk.get(cid)
    assert body["sla"]["first_response"]["warned_at"] is not None
    assert body["sla"]["first_response"]["breached_at"] is None
    assert [e["clock"] for e in await desk.events("complaint.warning")] == ["response"]
    assert ("response.warning", complaint["assignee_id"]) in await notified(desk, cid)
    # When the deadline passes: breach, and level 1 at once (assignee + store manager)
    desk.advance(minutes=2)
    await desk.check(cid)
    body = await desk.get(cid)
    assert at(body["sla"]["first_response"]["breached_at"]) == MONDAY_10 + dt.timedelta(minutes=10)
    assert body["escalation_level"] == 1
    assert {("escalated.1", manager), ("escalated.1", complaint["assignee_id"])} <= await notified(
        desk, cid
    )
    # When 30 minutes more pass: level 2 brings in the HQ complaint owner role
    desk.advance(minutes=30)
    await desk.check(cid)
    assert (await desk.get(cid))["escalation_level"] == 2
    assert ("escalated.2", analyst) in await notified(desk, cid)
    # When an hour after level 2 passes (the resolution clock breached on the way)
    desk.advance(minutes=60)
    await desk.check(cid)
    body = await desk.get(cid)
    # Then level 3 brings in hq_admin, and each level fired exactly once, in order
    assert body["escalation_level"] == 3
    assert body["sla"]["resolution"]["breached_at"] is not None
    assert ("escalated.3", admin) in await notified(desk, cid)
    assert await escalations(desk, cid) == [1, 2, 3]
    assert [e["clock"] for e in await desk.events("complaint.breached")] == [
        "response",
        "resolution",
    ]


async def test_duplicate_and_late_messages_never_double_fire(desk: Desk) -> None:
    # Given a grade-A complaint whose every timer is long overdue (messages arrive late)
    complaint = await desk.log("A")
    cid = complaint["id"]
    desk.advance(hours=5)
    # When the same timer message is delivered five times and the sweep runs twice too
    for _ in range(5):
        await desk.check(cid)
    await desk.sweep()
    await desk.sweep()
    # Then each breach and each level fired once (no warning after the deadline passed)
    assert await escalations(desk, cid) == [1, 2, 3]
    assert await desk.count_events("complaint.breached") == 2
    assert await desk.count_events("complaint.warning") == 0
    assert (await desk.get(cid))["escalation_level"] == 3


async def test_concurrent_timer_messages_escalate_once(desk: Desk) -> None:
    import asyncio

    # Given a breached grade-A complaint and four workers receiving its timer together
    complaint = await desk.log("A")
    desk.advance(minutes=11)
    # When they all run at once, each in its own transaction
    await asyncio.gather(*(desk.check(complaint["id"]) for _ in range(4)))
    # Then the breach and level 1 are recorded once
    assert await escalations(desk, complaint["id"]) == [1]
    assert await desk.count_events("complaint.breached") == 1


async def test_a_top_tier_customer_starts_one_level_higher(desk: Desk) -> None:
    # Given a gold member (a top tier by default) with a grade-A complaint
    customer = await desk.customer(tier="gold")
    complaint = await desk.log("A", customer_id=customer)
    assert complaint["tier"] == "gold"
    # When the response deadline passes, and later the next step
    desk.advance(minutes=10)
    await desk.check(complaint["id"])
    first = await desk.get(complaint["id"])
    desk.advance(hours=1)
    await desk.check(complaint["id"])
    # Then escalation starts at level 2 (HQ at once) and goes on to level 3
    assert first["escalation_level"] == 2
    assert await escalations(desk, complaint["id"]) == [2, 3]


async def test_per_tier_overrides_tighten_the_targets(desk: Desk) -> None:
    # Given gold members' grade-B complaints get 30m / 4h round the clock
    override = {"B": {"first_response": "30m", "resolution": "4h", "calendar": "24x7"}}
    assert (await desk.configure({**FAST, "tiers": {"gold": override}})).status_code == 200
    gold = await desk.log("B", customer_id=await desk.customer(tier="gold"))
    silver = await desk.log("B", customer_id=await desk.customer(tier="silver"))
    # Then the gold member's clock is the override, the other keeps the store's 2 hours
    assert gold["sla"]["first_response"]["target"] == "30m"
    assert at(gold["sla"]["first_response"]["due_at"]) == MONDAY_10 + dt.timedelta(minutes=30)
    assert silver["sla"]["calendar"] == "store"
    assert at(silver["sla"]["first_response"]["due_at"]) == local(23, 12, 0)


async def test_store_calendar_deadline_skips_lunch_and_the_night(desk: Desk) -> None:
    # Given SH001 opens 08:30-12:00 and 13:30-18:00; a grade-B complaint at 11:00 Monday
    desk.at(local(23, 11))
    complaint = await desk.log("B")
    # Then 2 business hours end at 14:30 (lunch does not count), warning at 80%: 14:06
    sla = complaint["sla"]["first_response"]
    assert at(sla["due_at"]) == local(23, 14, 30)
    assert at(sla["warn_at"]) == local(23, 14, 6)
    # When the clock is at 13:00 (closed for lunch) nothing is due
    desk.at(local(23, 13))
    await desk.check(complaint["id"])
    assert (await desk.get(complaint["id"]))["sla"]["first_response"]["warned_at"] is None


async def _pause_case(desk: Desk, resolution: str) -> dict[str, Any]:
    settings = {**FAST, "policies": {**FAST["policies"]}}
    settings["policies"]["B"] = {"first_response": "1h", "resolution": resolution}
    assert (await desk.configure(settings)).status_code == 200
    complaint = await desk.log("B")
    response = await desk.call("POST", f"/{complaint['id']}/acknowledge", json={"note": "收到"})
    assert response.status_code == 200, response.text
    return complaint


async def test_waiting_for_the_customer_pauses_the_clock_exactly(desk: Desk) -> None:
    # Given a grade-B complaint at 10:00 Monday, 4 business hours to resolve: due 15:30
    desk.at(local(23, 10))
    complaint = await _pause_case(desk, "4h")
    cid = complaint["id"]
    assert at(complaint["sla"]["resolution"]["due_at"]) == local(23, 15, 30)
    # When we wait for the customer from 11:00 to 14:30 (1h before lunch, 1h after)
    desk.at(local(23, 11))
    paused = await desk.call("POST", f"/{cid}/status", json={"status": "awaiting_customer"})
    assert paused.json()["sla"]["paused"] is True
    desk.at(local(23, 16))
    await desk.sweep()
    await desk.check(cid)
    # Then at 16:00, past the old deadline, nothing was breached while paused
    assert (await desk.get(cid))["sla"]["resolution"]["breached_at"] is None
    # When the customer replies (recorded at 14:30 in this story, resumed then)
    desk.at(local(23, 14, 30))
    resumed = (await desk.call("POST", f"/{cid}/reply", json={"note": "客户回电"})).json()
    # Then the deadline moved by the 2 open hours paused: 17:30, and the status resumed
    assert resumed["status"] == "investigating"
    assert resumed["sla"]["paused_seconds"] == 7200
    assert at(resumed["sla"]["resolution"]["due_at"]) == local(23, 17, 30)
    desk.at(local(23, 17, 29))
    await desk.check(cid)
    assert (await desk.get(cid))["sla"]["resolution"]["breached_at"] is None
    desk.at(local(23, 17, 30))
    await desk.check(cid)
    assert (await desk.get(cid))["sla"]["resolution"]["breached_at"] is not None


async def test_a_pause_across_closing_time_counts_only_open_time(desk: Desk) -> None:
    # Given a grade-B complaint at 16:00 Monday with 4 business hours to resolve
    desk.at(local(23, 16))
    complaint = await _pause_case(desk, "4h")
    cid = complaint["id"]
    # 16:00-18:00 then 08:30-10:30 Tuesday
    assert at(complaint["sla"]["resolution"]["due_at"]) == local(24, 10, 30)
    # When paused from 17:00 Monday to 09:30 Tuesday (1h + 1h open)
    desk.at(local(23, 17))
    await desk.call("POST", f"/{cid}/status", json={"status": "awaiting_customer"})
    desk.at(local(24, 9, 30))
    resumed = (await desk.call("POST", f"/{cid}/status", json={"status": "investigating"})).json()
    # Then the deadline is two open hours later: 10:30-12:00, lunch, 13:30-14:00
    assert resumed["sla"]["paused_seconds"] == 7200
    assert at(resumed["sla"]["resolution"]["due_at"]) == local(24, 14, 0)


async def test_an_unsatisfied_follow_up_reopens_with_a_fresh_clock(desk: Desk) -> None:
    # Given a grade-A complaint resolved within its targets
    complaint = await desk.log("A")
    cid = complaint["id"]
    await desk.call("POST", f"/{cid}/acknowledge", json={})
    desk.advance(minutes=20)
    resolved = await desk.call(
        "POST", f"/{cid}/resolve", json={"resolution": "免费返工", "first_contact": False}
    )
    assert resolved.json()["status"] == "resolved"
    # When the follow-up says satisfaction 2
    desk.advance(hours=2)
    reopened = (
        await desk.call("POST", f"/{cid}/survey", json={"satisfaction": 2, "resolved": False})
    ).json()
    # Then it is back in work, counted, with a new 1h resolution clock from now
    assert reopened["status"] == "investigating"
    assert reopened["reopen_count"] == 1
    assert at(reopened["sla"]["resolution"]["due_at"]) == desk.now[0] + dt.timedelta(hours=1)
    assert reopened["sla"]["resolution"]["met_at"] is None
    # And the store manager was alerted
    manager = (await staff_of(desk, "store_manager"))[0]
    assert ("reopened.1", manager) in await notified(desk, cid)
    # When the new clock runs out, the reopened cycle breaches (and escalates) afresh
    desk.advance(hours=1)
    await desk.check(cid)
    assert await desk.count_events("complaint.breached") == 1
    assert await escalations(desk, cid) == [1]
    # And a satisfied survey after the next resolution closes it
    await desk.call("POST", f"/{cid}/resolve", json={"resolution": "更换配件"})
    closed = (
        await desk.call("POST", f"/{cid}/survey", json={"satisfaction": 5, "resolved": True})
    ).json()
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None


async def test_a_policy_change_applies_to_new_complaints_only(desk: Desk) -> None:
    # Given a grade-A complaint logged under a 10-minute response target
    before = await desk.log("A")
    # When HQ relaxes grade A to 1 hour
    relaxed = {**FAST, "policies": {**FAST["policies"]}}
    relaxed["policies"]["A"] = {"first_response": "1h", "resolution": "4h", "calendar": "24x7"}
    assert (await desk.configure(relaxed)).status_code == 200
    after = await desk.log("A")
    # Then the running clock keeps its target, the new complaint gets the new one
    desk.advance(minutes=10)
    await desk.sweep()
    assert (await desk.get(before["id"]))["sla"]["first_response"]["breached_at"] is not None
    assert (await desk.get(after["id"]))["sla"]["first_response"]["target"] == "1h"
    assert (await desk.get(after["id"]))["sla"]["first_response"]["breached_at"] is None


async def test_the_sweep_fires_what_no_timer_delivered_and_skips_settled_ones(desk: Desk) -> None:
    # Given three grade-A complaints: one untouched, one acknowledged, one awaiting the customer
    lost, answered, waiting = [await desk.log("A") for _ in range(3)]
    await desk.call("POST", f"/{answered['id']}/acknowledge", json={})
    await desk.call("POST", f"/{waiting['id']}/acknowledge", json={})
    await desk.call("POST", f"/{waiting['id']}/status", json={"status": "awaiting_customer"})
    # When no timer message arrives and the sweep runs after the response deadline
    desk.advance(minutes=15)
    await desk.sweep()
    # Then only the untouched one breached its response target
    breached = [e["complaint_id"] for e in await desk.events("complaint.breached")]
    assert breached == [lost["id"]]
