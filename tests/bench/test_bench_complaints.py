"""How late is a breach detected? 1,000 complaints due within the same minute, detected by
timer messages (delayed Dramatiq messages at the exact instants) and by the 30-second
sweep alone (the messages lost).

Run with ``make bench``; prints p50/p99 lateness in seconds after the deadline, both modes
side by side in one run (in-process StubBroker worker threads on SQLite, wall-clock time),
and fails when a p99 is past its bound. A complaint never detected counts as infinitely
late, so a bound cannot pass by losing the slowest ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop_complaints.intake import log_complaint
from pitstop_complaints.kpis import percentile
from pitstop_complaints.models import Complaint
from pitstop_complaints.schemas import ComplaintCreate
from pitstop_complaints.sla import sla_sweep
from tests.bench.bounds import Bound, check
from tests.crm.conftest import Crm
from tests.support.demo import Demo

COMPLAINTS, BATCH, TARGET_SECONDS = 1000, 100, 40
SWEEP_EVERY = 30
# Timers measured p99 11-21 s; the sweep alone is watched for three sweeps (90 s). The
# bounds are today's reality with a margin; issue 21's goals are tighter (timers p99 at
# most 2 s, sweep only at most 60 s).
MAX_TIMER_P99_S, MAX_SWEEP_P99_S = 40.0, 3 * SWEEP_EVERY


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def _enable(crm: Crm) -> None:
    policy = {"first_response": f"{TARGET_SECONDS}s", "resolution": "1d", "calendar": "24x7"}
    settings = {"policies": {"A": policy, "B": policy, "C": policy}}
    response = await crm.demo.client.put(
        "/api/v1/plugins/complaints",
        json={"enabled": True, "settings": settings},
        headers=await crm.headers(),
    )
    assert response.status_code == 200, response.text


async def _log_many(runtime: Runtime, crm: Crm, customer_id: str) -> float:
    """Log the complaints in batches; returns how long intake took (seconds)."""
    start = time.perf_counter()
    data = ComplaintCreate(
        customer_id=uuid.UUID(customer_id),
        store_id=uuid.UUID(crm.stores["SH001"]),
        severity="A",
        category="waiting_time",
        channel="app",
        description="等待时间过长",
    )
    for _ in range(COMPLAINTS // BATCH):
        async with runtime.sessions() as session, session.begin():
            with tenant_scope(crm.tenant_id):
                ctx = await runtime.plugins.context(session, "complaints")
                for _ in range(BATCH):
                    await log_complaint(ctx, data)
    return time.perf_counter() - start


async def _lateness(runtime: Runtime, crm: Crm, limit_s: float) -> list[float]:
    """Wait until every complaint breached (or the limit); lateness in seconds."""
    deadline = time.monotonic() + limit_s
    while True:
        async with runtime.sessions() as session:
            with tenant_scope(crm.tenant_id):
                done = await session.scalar(
                    select(func.count()).where(Complaint.response_breached_at.is_not(None))
                )
                if done == COMPLAINTS or time.monotonic() > deadline:
                    rows = (
                        await session.execute(
                            select(Complaint.response_due_at, Complaint.response_breached_at)
                        )
                    ).all()
                    return [(b - d).total_seconds() for d, b in rows if b is not None]
        await asyncio.sleep(0.5)


async def _sweep_like_the_scheduler(runtime: Runtime, crm: Crm, until: float) -> None:
    """Fire the sweep at every :00 and :30 wall-clock second, as the cron does."""
    while time.monotonic() < until:
        now = dt.datetime.now(dt.UTC)
        wait = SWEEP_EVERY - (now.second % SWEEP_EVERY) - now.microsecond / 1e6
        await asyncio.sleep(wait)
        async with runtime.sessions() as session, session.begin():
            with tenant_scope(crm.tenant_id):
                await sla_sweep(await runtime.plugins.context(session, "complaints"))
        async with runtime.sessions() as session:
            with tenant_scope(crm.tenant_id):
                left = await session.scalar(
                    select(func.count()).where(Complaint.response_breached_at.is_(None))
                )
        if not left:
            return


async def _reset(runtime: Runtime, crm: Crm) -> None:
    from sqlalchemy import delete

    from pitstop_complaints.models import ComplaintActivity, ComplaintNotification

    async with runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id):
            for model in (ComplaintNotification, ComplaintActivity, Complaint):
                await session.execute(delete(model))


def _report(label: str, late: list[float], intake_s: float) -> float:
    """Print the lateness figures; the p99 over every complaint (undetected: infinite)."""
    p50, p99 = percentile(late, 0.5), percentile(late, 0.99)
    print(
        f"{label:<22} detected {len(late):>4}/{COMPLAINTS}  lateness p50 {p50 or 0:7.2f} s"
        f"  p99 {p99 or 0:7.2f} s  max {max(late, default=0):7.2f} s"
        f"  (intake {intake_s:5.1f} s, mean {statistics.fmean(late) if late else 0:6.2f} s)"
    )
    return percentile([*late, *[math.inf] * (COMPLAINTS - len(late))], 0.99) or math.inf


@pytest.fixture
def timer_worker(runtime: Runtime) -> Iterator[None]:
    """Worker threads whose delay-queue consumer prefetches like a production worker's.

    Dramatiq's StubBroker lists its delay queue among the ordinary queues, so a Worker
    consumes it with the ordinary prefetch (2 per thread): a few far-future timers (a
    resolution deadline days away) then hold every slot and block the timers behind them.
    Listing only the ordinary queues gives the delay queue its own consumer with the large
    delay prefetch, as on Redis. (Reported as a core gap: embedded mode has this problem.)
    """
    import dramatiq

    from pitstop.processes import bind_actors

    broker: Any = runtime.broker
    broker.get_declared_queues = lambda: {q for q in broker.queues if not q.endswith(".DQ")}
    bind_actors(runtime)
    worker = dramatiq.Worker(broker, worker_threads=8, worker_timeout=50)
    worker.start()
    try:
        yield
    finally:
        worker.stop()


async def test_breach_detection_lateness(demo: Demo, timer_worker: None) -> None:
    runtime = demo.runtime
    crm = Crm(demo)
    await crm.load_stores()
    await _enable(crm)
    customer_id = str((await crm.customer())["id"])
    print(f"\n{COMPLAINTS} complaints, {TARGET_SECONDS}s response target, 24x7")

    # With timer messages: the worker threads fire each breach at its instant.
    intake = await _log_many(runtime, crm, customer_id)
    late = await _lateness(runtime, crm, TARGET_SECONDS + 120)
    timers_p99 = _report("timer messages", late, intake)

    # Sweep only: the messages are never sent (as if lost); the 30 s sweep finds the work.
    await _reset(runtime, crm)
    sender, runtime.plugins.task_sender = runtime.plugins.task_sender, None
    try:
        intake = await _log_many(runtime, crm, customer_id)
        until = time.monotonic() + TARGET_SECONDS + 3 * SWEEP_EVERY
        await _sweep_like_the_scheduler(runtime, crm, until)
        sweep_p99 = _report("sweep only (30 s)", await _lateness(runtime, crm, 0), intake)
    finally:
        runtime.plugins.task_sender = sender
    check(
        Bound("timer messages, lateness p99", timers_p99, MAX_TIMER_P99_S, " s"),
        Bound("sweep only, lateness p99", sweep_p99, MAX_SWEEP_P99_S, " s"),
    )
