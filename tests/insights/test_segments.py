"""The nightly RFM job end to end: fired by the scheduler, run by a worker per tenant, read
back as segments (with the trend), on the customer and as the ``insights.segment`` fact.

The book is test_rfm's; a first run scores P, S, T and U before Q's first visit exists:
with four customers NTILE(5) gives tiles 1-4, so P (4, 4, 4) is high value, S (1, 3, 2)
churn warning, T (2, 1, 1) sleeping and U (3, 2, 3) potential. The nightly run after Q's
visit adds Q as new and leaves the others in their segments.
"""

from __future__ import annotations

import asyncio

from pitstop.db.tenant_context import tenant_scope
from pitstop.insights import rfm
from pitstop.worker.scheduler import build_scheduler
from tests.conftest import Drain
from tests.insights.conftest import ON_SQLITE, Book, local
from tests.insights.test_rfm import NOW


async def _first_run_without_q(book: Book) -> dict[str, object]:
    people = {name: await book.customer() for name in "PQSTU"}
    for day in ("2024-01-01", "2025-06-01", "2025-12-01", "2026-02-01", "2026-03-25"):
        await book.visit(people["P"], "SH001", local(day), 30_000)
    for day in ("2024-06-01", "2024-09-01", "2024-12-01"):
        await book.visit(people["S"], "SH001", local(day), 8_000)
    await book.visit(people["T"], "SH001", local("2025-01-10"), 2_000)
    for day in ("2025-10-01", "2026-01-05"):
        await book.visit(people["U"], "SH001", local(day), 20_000)
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await rfm.run(session, local("2026-03-26"))
    await book.visit(people["Q"], "SH001", local("2026-03-20"), 5_000)
    return dict(people)


async def _nightly(book: Book, worker: Drain) -> None:
    """The scheduler's RFM job in the chain's zone, fired now, then the worker's queue."""
    runtime = book.crm.demo.runtime
    runtime.clock.set(lambda: NOW)
    scheduler = await asyncio.to_thread(
        build_scheduler,
        sessions=runtime.sessions,
        plugins=runtime.plugins,
        clock=runtime.clock,
        dispatch=runtime.dispatch,
    )
    job = next(j for j in scheduler.jobs if j.name == "insights.rfm@Asia/Shanghai")
    assert job.cron == "30 2 * * *"
    await asyncio.to_thread(job.run)
    await worker()


@ON_SQLITE
async def test_the_nightly_run_feeds_segments_customers_and_attributes(
    book: Book, worker: Drain
) -> None:
    # Given a first run of four customers, then Q's first visit
    people = await _first_run_without_q(book)
    # When the nightly job runs for every active tenant through the worker
    await _nightly(book, worker)
    client, headers = book.crm.demo.client, await book.crm.headers()
    # Then the segments are counted with their share of the window's spend and the change
    body = (await client.get("/api/v1/insights/segments", headers=headers)).json()
    spend = 120_000 + 5_000 + 24_000 + 2_000 + 40_000
    assert body["customers"] == 5 and body["method"] == "quantiles"
    assert {
        s["segment"]: (s["customers"], s["monetary"], s["change"]) for s in body["segments"]
    } == {
        "high_value": (1, 120_000, 0),
        "new": (1, 5_000, 1),
        "churn_warning": (1, 24_000, 0),
        "sleeping": (1, 2_000, 0),
        "potential": (1, 40_000, 0),
    }
    high = next(s for s in body["segments"] if s["segment"] == "high_value")
    assert (high["share"], high["revenue_share"]) == (0.2, round(120_000 / spend, 4))
    # And SH001's manager sees SH001's customers (their latest store), with SH001's trend
    manager = await book.crm.headers("store_manager")
    mine = (await client.get("/api/v1/insights/segments", headers=manager)).json()
    assert mine["customers"] == 5
    assert {s["segment"]: s["previous_customers"] for s in mine["segments"]}["new"] == 0
    # And SH002 has no customers, while its id is a 422 for SH001's manager
    sh002 = {"store_id": book.crm.stores["SH002"]}
    other = await client.get("/api/v1/insights/segments", params=sh002, headers=headers)
    assert other.json()["customers"] == 0
    refused = await client.get("/api/v1/insights/segments", params=sh002, headers=manager)
    assert refused.status_code == 422 and "store_id" in refused.text
    # And the customer carries their scores, and plugins read the segment as a fact
    p = (await client.get(f"/api/v1/customers/{people['P']}", headers=headers)).json()
    assert {k: p["rfm"][k] for k in ("r", "f", "m", "segment")} == {
        "r": 5,
        "f": 5,
        "m": 5,
        "segment": "high_value",
    }
    runtime = book.crm.demo.runtime
    async with runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            facts = await runtime.plugins.customer_attributes(session, customer_id=people["Q"])
    assert facts["insights.segment"] == "new"
