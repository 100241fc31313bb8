"""Churn and dormancy on the kit: the nightly run classes customers, emits at-risk and
dormant events once, opens a recall (asking for the offer), shows the state to other
plugins and the 360° view, and a visit makes the customer active again."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pitstop.sdk import Event
from pitstop_retention.privacy import attributes
from pitstop_retention.subscriptions import on_complaint_created, on_complaint_resolved
from tests.plugins.retention.on_kit.conftest import Desk, desk_app

T0 = dt.datetime(2025, 1, 6, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def early(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in desk_app(tmp_path, settings={"recall_offer": "WELCOME50"}, start=T0):
        yield d


async def _section(desk: Desk, customer_id: str) -> dict[str, Any]:
    response = await desk.client().get(f"/api/v1/customers/{customer_id}/profile")
    assert response.status_code == 200, response.text
    found = [s for s in response.json()["sections"] if s["plugin"] == "retention"]
    return dict(found[0]["data"]) if found else {}


async def test_a_customer_drifts_from_active_to_at_risk_to_dormant_and_back(early: Desk) -> None:
    # Given a customer who came in twice, 100 days apart
    car = await early.car()
    customer = car["customer_id"]
    await early.service(car, 10_000)
    early.app.clock.advance(days=100)
    await early.service(car, 14_000)
    await early.app.drain(schedule="nightly")
    assert (await _section(early, customer))["state"] == "active"
    # When 210 days pass without a visit (more than twice their usual 100)
    early.app.clock.advance(days=210)
    await early.app.drain(schedule="nightly")
    await early.app.drain(schedule="nightly")
    # Then they are at risk for the long interval, announced once, ids only
    section = await _section(early, customer)
    assert (section["state"], section["risk_reasons"]) == ("at_risk", ["long_interval"])
    at_risk = await early.app.events("customer.at_risk")
    assert at_risk == [{"customer_id": customer, "store_id": early.app.stores["SH001"]}]
    # When a year has passed since the last visit
    early.app.clock.advance(days=156)
    await early.app.drain(schedule="nightly")
    # Then they are dormant: the event, a recall at their last store, the offer asked for
    assert (await _section(early, customer))["state"] == "dormant"
    assert len(await early.app.events("customer.dormant")) == 1
    recalls = (await early.get("/tasks?kind=recall"))["items"]
    assert [(t["store_id"], t["customer"]["id"]) for t in recalls] == [
        (early.app.stores["SH001"], customer)
    ]
    [reward] = await early.app.events("reward.requested")
    assert (reward["reward_id"], reward["voucher_template"]) == (
        recalls[0]["reward_id"],
        "WELCOME50",
    )
    # When the customer comes back
    early.app.clock.advance(days=3)
    await early.service(car, 30_000)
    await early.app.drain()
    # Then they are active at once, and the recall counts as won back
    assert (await _section(early, customer))["state"] == "active"
    kpis = await early.get("/kpis")
    assert (kpis["recalls"], kpis["win_back_rate"]) == (1, 1.0)
    # And each change is a line of their history, with why and when
    history = (await early.get(f"/customers/{customer}/states"))["items"]
    assert [(c["from_state"], c["state"], c["reasons"], c["at"][:10]) for c in history] == [
        (None, "active", ["no_risk"], "2025-04-16"),
        ("active", "at_risk", ["long_interval"], "2025-11-12"),
        ("at_risk", "dormant", ["no_visit"], "2026-04-17"),
        ("dormant", "active", ["visit"], "2026-04-20"),
    ]
    latest = (await _section(early, customer))["history"]
    assert [c["state"] for c in latest] == ["active", "dormant", "at_risk", "active"]
    # And the KPIs count who became at risk and dormant in a window, though active now
    window = "from=2025-11-01T00:00:00Z&to=2026-04-21T00:00:00Z"
    kpis = await early.get(f"/kpis?{window}")
    assert (kpis["at_risk"], kpis["became_at_risk"], kpis["became_dormant"]) == (0, 1, 1)
    hz = await early.get(f"/kpis?{window}&store_id={early.app.stores['HZ001']}")
    assert (hz["became_at_risk"], hz["became_dormant"]) == (0, 0)
    unknown = await early.client().get(f"/api/v1/retention/customers/{uuid.uuid4()}/states")
    assert unknown.status_code == 404


async def test_an_unresolved_complaint_puts_a_customer_at_risk(early: Desk) -> None:
    # Given a customer served today, and a complaint of theirs opened (complaints' event)
    car = await early.car()
    await early.service(car, 10_000)
    complaint = str(uuid.uuid4())
    customer = uuid.UUID(car["customer_id"])
    async with early.app.context() as ctx:
        event = Event(uuid.uuid4(), "complaint.created", ctx.tenant_id, ctx.now(),
                      {"complaint_id": complaint, "customer_id": str(customer)})  # fmt: skip
        await on_complaint_created(ctx, event)
    # When it is still open eight days later
    early.app.clock.advance(days=8)
    await early.app.drain(schedule="nightly")
    # Then the customer is at risk for it, as other plugins read it
    async with early.app.context() as ctx:
        assert await attributes(ctx, customer) == {
            "retention_state": "at_risk",
            "risk_reasons": ["complaint_unresolved"],
        }
        resolved = Event(uuid.uuid4(), "complaint.resolved", ctx.tenant_id, ctx.now(),
                         {"complaint_id": complaint})  # fmt: skip
        await on_complaint_resolved(ctx, resolved)
    # And once it is resolved the next run finds them active
    await early.app.drain(schedule="nightly")
    assert (await _section(early, str(customer)))["state"] == "active"
