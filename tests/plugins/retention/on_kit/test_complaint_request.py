"""A low survey score with the complaints plugin on: one complaint per survey, whatever
redelivers the request, and retention learns of it as an open complaint."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

import pitstop_complaints
import pitstop_retention
from pitstop.sdk import Event
from pitstop.testing import plugin_app
from pitstop_complaints.models import Complaint, ComplaintRequest
from pitstop_complaints.requests import on_complaint_requested
from pitstop_retention.models import Complaint as KnownComplaint
from tests.plugins.retention.on_kit.conftest import START, Desk
from tests.support.kit import DEMO_STORES


@pytest.fixture
async def with_complaints(tmp_path: Path) -> AsyncIterator[Desk]:
    async with plugin_app(
        pitstop_retention, pitstop_complaints, stores=DEMO_STORES, start=START, directory=tmp_path
    ) as app:
        yield Desk(app)


async def test_a_low_score_opens_one_complaint(with_complaints: Desk) -> None:
    desk = with_complaints
    # Given a low score entered for a service at SH001
    car = await desk.car()
    await desk.service(car, 10_000)
    await desk.app.drain()
    [survey] = (await desk.get("/surveys"))["items"]
    low = {"csi": 1, "nps": 2}
    answered = await desk.client().post(f"/api/v1/retention/surveys/{survey['id']}", json=low)
    assert answered.status_code == 200, answered.text
    # When the request is delivered, and then delivered again
    await desk.app.drain()
    [request] = await desk.app.events("complaint.requested")
    async with desk.app.context("complaints") as ctx:
        again = Event(uuid.uuid4(), "complaint.requested", ctx.tenant_id, ctx.now(), request)
        await on_complaint_requested(ctx, again)
    await desk.app.drain()
    # Then one complaint is open for the customer at SH001, severity A, from the survey
    async with desk.app.context("complaints") as ctx:
        complaints = (await ctx.session.scalars(select(Complaint))).all()
        answers = await ctx.session.scalar(select(func.count()).select_from(ComplaintRequest))
    assert [(c.customer_id, c.store_id, c.severity, c.channel) for c in complaints] == [
        (uuid.UUID(car["customer_id"]), uuid.UUID(desk.app.stores["SH001"]), "A", "survey")
    ]
    assert answers == 1
    # And retention knows the complaint is open (a churn signal after 7 days)
    async with desk.app.context() as ctx:
        known = (await ctx.session.scalars(select(KnownComplaint))).all()
    assert [(k.complaint_id, k.resolved_at) for k in known] == [(complaints[0].id, None)]
