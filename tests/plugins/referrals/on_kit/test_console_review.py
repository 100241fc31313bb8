"""The review queue at the console: the referrals held for review, approved or rejected
with a reason through the API's own ``lifecycle.decide`` (its audit entry, its store
scope), by those who may review only."""

from __future__ import annotations

import uuid

from tests.plugins.referrals.on_kit.conftest import Desk


async def test_a_manager_clears_the_review_queue_at_the_console(desk: Desk) -> None:
    # Given a clean referral held for review at qualification (auto-approve off)
    await desk.settings(auto_approve=False)
    referral = await desk.referral()
    await desk.first_order(referral)
    desk.app.clock.advance(days=8)
    await desk.app.drain()
    manager = desk.app.console("store_manager")
    # When SH001's manager opens the queue
    queue = await manager.get("/console/referrals/review/")
    # Then the referral waits there
    assert queue.status_code == 200, queue.text
    assert f'id="referral-{referral["id"]}"' in queue.text and "待审核的推荐" in queue.text
    decide = f"/console/referrals/review/{referral['id']}"
    # When they approve it without a reason
    blank = await manager.post(f"{decide}/approve", {"reason": " "})
    # Then the reason is asked for beside its box, in Chinese, and nothing was decided
    assert blank.status_code == 422 and 'id="reason-error">必填<' in blank.text
    assert (await desk.get(referral))["status"] == "review"
    # When another store's manager, an advisor, or anyone with an unknown id tries
    elsewhere = desk.app.console("store_manager", store="SH002")
    assert (await elsewhere.post(f"{decide}/approve", {"reason": "x"})).status_code == 404
    advisor = desk.app.console("service_advisor")
    assert (await advisor.post(f"{decide}/approve", {"reason": "x"})).status_code == 403
    unknown = f"/console/referrals/review/{uuid.uuid4()}/reject"
    assert (await manager.post(unknown, {"reason": "x"})).status_code == 404
    # When the manager approves it with a reason
    approved = await manager.post(f"{decide}/approve", {"reason": "已电话核实"})
    await desk.app.drain()
    # Then it goes on to its rewards, the decision is audited, and the queue is empty
    assert approved.status_code == 303, approved.text
    assert (await desk.get(referral))["status"] == "rewarded"
    audit = await desk.app.client("hq_admin").get("/api/v1/audit?action=referrals.approved")
    entry = audit.json()["items"][-1]
    assert entry["resource_id"] == referral["id"] and entry["detail"]["reason"] == "已电话核实"
    assert "没有待审核的推荐" in (await manager.get("/console/referrals/review/")).text
