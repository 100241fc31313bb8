"""``pitstop demo`` shows every plugin: members with points history and tiers, complaints in
every state - and a second run changes nothing at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.pool import NullPool

from pitstop.crm.models import CustomerRfm
from pitstop.db.base import Base
from pitstop.db.engine import create_engine
from pitstop.db.tenant_context import tenant_scope
from pitstop.demo.crm_book import BookSize
from pitstop.demo.loader import run_demo
from pitstop_complaints.models import Complaint, ComplaintActivity
from pitstop_complaints.workflow import TRANSITIONS
from pitstop_membership.models import LedgerEntry, MemberAccount
from pitstop_referrals.models import Referral
from pitstop_referrals.schemas import STATUSES
from pitstop_retention.models import CustomerState, Reminder, Survey, Task, VehicleDue
from pitstop_tradein.models import Candidate, Lead, PriceRow
from pitstop_tradein.stages import STAGES
from tests.crm.conftest import Crm

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
SMALL = {
    "demo-chain": BookSize(customers=200, vehicles=240, orders=1_500),
    "demo-shop": BookSize(customers=40, vehicles=48, orders=150),
}


async def every_row(crm: Crm, census: Any) -> dict[str, list[str]]:
    """Every row of every table, read from above the walls (the census's connection)."""
    server = census.postgres_server
    engine = (
        crm.demo.runtime.engine
        if server is None
        else create_engine(server.dsn("pitstop_test"), poolclass=NullPool)
    )
    try:
        async with engine.connect() as connection:
            return {
                table.name: sorted(
                    repr(tuple(row))
                    for row in (await connection.execute(text(f'SELECT * FROM "{table.name}"')))
                )
                for table in Base.metadata.sorted_tables
            }
    finally:
        if server is not None:
            await engine.dispose()


async def test_demo_shows_every_plugin_and_a_second_run_changes_nothing(
    crm: Crm, census: Any, tenants_dir: Path
) -> None:
    # Given a fresh installation with the demo manifests
    runtime = crm.demo.runtime
    runtime.clock.set(lambda: NOW)
    # When `pitstop demo` runs
    report = await run_demo(runtime, tenants_dir, SMALL)
    # Then the chain shows each plugin it runs, and the shop (which runs none) shows none
    shown = {(slug, plugin) for slug, plugin, _ in report.plugins}
    assert shown == {
        ("demo-chain", "membership"),
        ("demo-chain", "complaints"),
        ("demo-chain", "tradein"),
        ("demo-chain", "referrals"),
        ("demo-chain", "retention"),
    }
    with tenant_scope(crm.tenant_id):
        async with runtime.sessions() as session:
            accounts = (await session.scalars(select(MemberAccount))).all()
            entries = (await session.scalars(select(LedgerEntry))).all()
            complaints = (await session.scalars(select(Complaint))).all()
            history = (await session.scalars(select(ComplaintActivity))).all()
            leads = (await session.scalars(select(Lead))).all()
            candidates = (await session.scalars(select(Candidate))).all()
            prices = (await session.scalars(select(PriceRow))).all()
            referrals = (await session.scalars(select(Referral))).all()
            dues = (await session.scalars(select(VehicleDue))).all()
            states = (await session.scalars(select(CustomerState))).all()
            reminders = (await session.scalars(select(Reminder))).all()
            tasks = (await session.scalars(select(Task))).all()
            surveys = (await session.scalars(select(Survey))).all()
    # And members have points history and more than one tier
    assert accounts and len(entries) >= len(accounts)
    assert len({a.tier for a in accounts}) > 1
    assert all(a.balance > 0 for a in accounts)
    # And there is a complaint in every state of the workflow, each with its history
    assert {c.status for c in complaints} == set(TRANSITIONS)
    assert all(any(h.complaint_id == c.id for h in history) for c in complaints)
    paused = [c for c in complaints if c.status == "awaiting_customer"]
    assert paused and all(c.paused_at is not None for c in paused)
    assert any(c.status == "investigating" and c.reopen_count == 1 for c in complaints)
    assert any(c.status == "closed" and c.satisfaction == 5 for c in complaints)
    breached = [c for c in complaints if c.response_breached_at is not None]
    assert breached and all(c.escalation_level >= 1 for c in breached)
    assert all(c.created_at < NOW for c in complaints)
    # And trade-ins have a price table, candidates, and a lead in every stage
    assert prices and len(candidates) >= len(STAGES)
    assert {lead.stage for lead in leads} == set(STAGES)
    # And there is a referral in every state
    assert {r.status for r in referrals} == set(STATUSES)
    # And retention has cars upcoming and overdue, customers in every state, open calls of
    # every kind and answered surveys, low ones among them
    today = NOW.date()
    assert any(d.due_date > today for d in dues) and any(d.due_date < today for d in dues)
    assert {s.state for s in states} >= {"active", "at_risk", "dormant"}
    # (reminders sent for the stages due lately, each with its message; the stages long
    # past recorded as skipped, never sent: a demo's first night must not spam its book)
    sent = [r for r in reminders if r.status == "sent"]
    assert sent and all(r.message_id is not None for r in sent)
    assert all(r.message_id is None for r in reminders if r.status == "skipped_late")
    assert {r.status for r in reminders} <= {"sent", "skipped_late"}
    assert {t.kind for t in tasks if t.status == "open"} == {"recall", "follow_up", "callback"}
    answered = [s for s in surveys if s.answered_at is not None]
    assert answered and any(s.low for s in answered) and len(answered) < len(surveys)
    # And every customer with a visit has RFM scores, spread over several segments
    with tenant_scope(crm.tenant_id):
        async with runtime.sessions() as session:
            segments = (await session.scalars(select(CustomerRfm.segment))).all()
    assert len(segments) == report.scored["demo-chain"] > 0
    assert len(set(segments)) >= 3

    # When it runs again
    before = await every_row(crm, census)
    again = await run_demo(runtime, tenants_dir, SMALL)
    # Then not one row of any table changed, and the logins are the same
    assert await every_row(crm, census) == before
    assert again.logins == report.logins
    assert again.scored == {}  # already scored: the nightly run keeps them fresh
