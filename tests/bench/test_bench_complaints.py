"""How late is a breach detected? 1,000 complaints due within the same minute, detected by
timer messages (delayed Dramatiq messages at the exact instants) and by the 30-second
sweep alone (the messages lost; the sweeps fire from the start of intake, as a running
scheduler's would).

Run with ``make bench``; prints p50/p99 lateness in seconds after the deadline, both modes
one after the other, on two stacks: embedded SQLite (in-process StubBroker worker threads)
and PostgreSQL + Redis (a real ``pitstop worker`` process; the complaints are logged and
the sweep fired from the test process), wall-clock time. Fails when a p99 is past its
bound, or when more work failed than the bound allows (on SQLite: on the write lock,
"database is locked", which Dramatiq retries). A complaint never detected counts as
infinitely late, so a bound cannot pass by losing the slowest ones. The worker's CPU over
the timer phase is printed beside (embedded: the whole test process), and issue 21's goals
beside the bounds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import redis
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from structlog.testing import capture_logs

from pitstop.app import create_app
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import EventDelivery, OutboxEvent
from pitstop.logs import READY_LINE
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop_complaints.intake import log_complaint
from pitstop_complaints.kpis import percentile
from pitstop_complaints.models import Complaint
from pitstop_complaints.schemas import ComplaintCreate
from pitstop_complaints.sla import sla_sweep
from tests.bench.bounds import Bound, check
from tests.conftest import _truncate_postgres
from tests.crm.conftest import Crm
from tests.support.demo import Demo, provision_demo
from tests.support.processes import pitstop_process

COMPLAINTS, BATCH, TARGET_SECONDS = 1000, 100, 40
SWEEP_EVERY = 30
MAX_INTAKE_S = 180  # how long the sweeps wait for intake at most (50-84 s on PostgreSQL)
# Timers p99 before a timer fired its tenant's due complaints in one transaction: 16-20 s
# embedded, 6.5-12.6 s on PostgreSQL + Redis; with batches (H35) 2.4-3.3 s and 3.4-5.4 s,
# 0-8 lock failures; with the batch's reads and writes made once and a fair SQLite writer
# queue (H37) 0.9-1.6 s and 1.3-1.4 s, no lock failure (docs/performance.md). Issue 21's
# goals are met, so the bounds are the goals: timers p99 at most 2 s on both stacks, sweep
# only at most 60 s, no lock failure and no failed message.
MAX_TIMER_P99_S, MAX_SWEEP_P99_S = 2.0, 60.0
MAX_LOCK_ERRORS = 0
LOCK_SIGNS = ("database is locked", "SQLITE_BUSY")
MAX_REDIS_P99_S, MAX_REDIS_FAILURES = 2.0, 0


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
    """Log the complaints in batches; returns how long intake took (seconds). On
    PostgreSQL this took 50-84 s on a loaded machine (and longer with batches logged side
    by side: they queue on one another), so there the complaints fall due over that span."""
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
    """Fire the sweep at every :00 and :30 wall-clock second, as the cron does, from the
    start of intake (the scheduler does not wait for it) until every complaint breached."""
    while time.monotonic() < until:
        now = dt.datetime.now(dt.UTC)
        wait = SWEEP_EVERY - (now.second % SWEEP_EVERY) - now.microsecond / 1e6
        await asyncio.sleep(wait)
        try:
            async with runtime.sessions() as session, session.begin():
                with tenant_scope(crm.tenant_id):
                    await sla_sweep(await runtime.plugins.context(session, "complaints"))
        except OperationalError as failure:  # as the scheduler's: the next sweep is 30 s on
            if not any(sign in str(failure) for sign in LOCK_SIGNS):
                raise
            logging.getLogger(__name__).error("sweep failed on the write lock: %s", failure)
        async with runtime.sessions() as session:
            with tenant_scope(crm.tenant_id):
                breached = await session.scalar(
                    select(func.count()).where(Complaint.response_breached_at.is_not(None))
                )
        if breached == COMPLAINTS:
            return


async def _reset(runtime: Runtime, crm: Crm) -> None:
    from sqlalchemy import delete

    from pitstop_complaints.models import ComplaintActivity, ComplaintNotification

    async with runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id):
            for model in (ComplaintNotification, ComplaintActivity, Complaint):
                await session.execute(delete(model))


async def _report_work(runtime: Runtime, crm: Crm) -> None:
    """What the burst made the worker do: each event is a relay transaction (its publish),
    each warning and breach a task transaction; the profile in docs/architecture.md."""
    async with runtime.sessions() as session:
        with tenant_scope(crm.tenant_id):
            events = (
                await session.execute(
                    select(OutboxEvent.type, func.count())
                    .where(OutboxEvent.type.startswith("complaint."))
                    .group_by(OutboxEvent.type)
                    .order_by(OutboxEvent.type)
                )
            ).all()
            deliveries = await session.scalar(
                select(func.count())
                .select_from(EventDelivery)
                .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
                .where(OutboxEvent.type.startswith("complaint."))
            )
    counted = ", ".join(f"{kind} {n}" for kind, n in events)
    print(f"{'':<22} events written: {counted}; plugin deliveries of them: {deliveries}")


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
async def timer_worker(runtime: Runtime) -> AsyncIterator[None]:
    """Worker threads on an engine of their own, as ``pitstop serve`` runs them embedded
    (``runtime.sibling()``: a pool on the worker's loop). The test's runtime keeps its
    connections for the test's loop only, so a worker bound to it opened a new SQLite
    connection (a thread, its pragmas) for every transaction: 1,366 in one timer phase.

    The delay queues are consumed as delay queues, with their own consumer and the large
    delay prefetch, as on Redis (the embedded broker does it; the bench's StubBroker is
    told here): a few far-future timers must not hold every slot.
    """
    import dramatiq

    from pitstop.processes import bind_actors

    broker: Any = runtime.broker
    broker.get_declared_queues = lambda: {q for q in broker.queues if not q.endswith(".DQ")}
    worker_runtime = runtime.sibling()
    bind_actors(worker_runtime)
    worker = dramatiq.Worker(broker, worker_threads=8, worker_timeout=50)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
        await worker_runtime.close()


class LockErrors(logging.Handler):
    """Counts the log records of work that failed on SQLite's write lock (and was retried)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        failure = record.exc_info[1] if record.exc_info else None
        if any(sign in f"{record.getMessage()} {failure}" for sign in LOCK_SIGNS):
            self.count += 1


def _fell_back(logged: list[MutableMapping[str, Any]]) -> int:
    """The relay's batches that fell back to one event per transaction on an
    ``OperationalError``: on SQLite, the claim's ``BEGIN IMMEDIATE`` past the busy timeout
    (a structlog warning, so the handler above never saw it; counted since H37)."""
    return sum(
        1
        for entry in logged
        if entry.get("event") == "backlog_fell_back" and entry.get("error") == "OperationalError"
    )


def _cpu_of(pid: int) -> Callable[[], float]:
    """CPU seconds (user + system) the process ``pid`` has used so far (Linux /proc)."""

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return used


def _profile(pid: int, name: str) -> list[subprocess.Popen[bytes]]:
    """With PITSTOP_BENCH_PYSPY_DIR set, ``py-spy record`` process ``pid`` over the timer
    phase, per thread (raw folded stacks): ``<name>-cpu-*.txt`` holds the threads at work,
    ``<name>-all-*.txt`` (idle threads included, a lower rate) where they wait. The
    profile behind docs/architecture.md ("SLA timers")."""
    folder = os.environ.get("PITSTOP_BENCH_PYSPY_DIR")
    if not folder:
        return []
    spy = [str(Path(sys.executable).with_name("py-spy")), "record", "-f", "raw", "-t"]
    stamp = time.time_ns()
    runs = (("cpu", ["-r", "100"]), ("all", ["-r", "20", "--idle"]))
    return [
        subprocess.Popen(
            [
                *spy,
                *extra,
                "--nonblocking",
                "-p",
                str(pid),
                "-o",
                f"{folder}/{name}-{kind}-{stamp}.txt",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for kind, extra in runs
    ]


def _stop(spies: list[subprocess.Popen[bytes]]) -> None:
    """py-spy writes its file when interrupted."""
    for spy in spies:
        spy.send_signal(2)
    for spy in spies:
        spy.wait(timeout=120)


async def _both_modes(
    demo: Demo, label: str, worker_cpu: Callable[[], float], worker_pid: int
) -> tuple[float, float]:
    """Timers, then sweep only, on ``demo``'s runtime; their p99 lateness (seconds).

    The worker's CPU over the timer phase (intake to the last breach) is printed beside:
    when it is near the wall time times the cores it can use, the worker is CPU-bound."""
    runtime = demo.runtime
    crm = Crm(demo)
    await crm.load_stores()
    await _enable(crm)
    customer_id = str((await crm.customer())["id"])
    print(f"\n{label}: {COMPLAINTS} complaints, {TARGET_SECONDS}s response target, 24x7")

    # With timer messages: the worker fires each breach at its instant.
    spies = _profile(worker_pid, label.split(",")[0].replace(" ", "-").replace("+", ""))
    cpu_before, wall_before = worker_cpu(), time.perf_counter()
    intake = await _log_many(runtime, crm, customer_id)
    late = await _lateness(runtime, crm, TARGET_SECONDS + 120)
    _stop(spies)
    cpu, wall = worker_cpu() - cpu_before, time.perf_counter() - wall_before
    timers_p99 = _report("timer messages", late, intake)
    print(f"{'':<22} worker CPU {cpu:5.1f} s over {wall:5.1f} s wall ({cpu / wall:4.2f} cores)")
    await _report_work(runtime, crm)

    # Sweep only: the messages are never sent (as if lost); the 30 s sweep finds the work.
    await _reset(runtime, crm)
    sender, runtime.plugins.task_sender = runtime.plugins.task_sender, None
    try:
        until = time.monotonic() + MAX_INTAKE_S + TARGET_SECONDS + 3 * SWEEP_EVERY
        sweeps = asyncio.create_task(_sweep_like_the_scheduler(runtime, crm, until))
        intake = await _log_many(runtime, crm, customer_id)
        await sweeps
        sweep_p99 = _report("sweep only (30 s)", await _lateness(runtime, crm, 0), intake)
    finally:
        runtime.plugins.task_sender = sender
    return timers_p99, sweep_p99


async def test_breach_detection_lateness(demo: Demo, timer_worker: None) -> None:
    errors = LockErrors()
    logging.getLogger().addHandler(errors)
    try:
        with capture_logs() as logged:
            label = "embedded SQLite, 8 worker threads (CPU: the whole test process)"
            timers_p99, sweep_p99 = await _both_modes(demo, label, time.process_time, os.getpid())
    finally:
        logging.getLogger().removeHandler(errors)
    fell_back = _fell_back(logged)
    print(
        f"work failed on the write lock (and retried): {errors.count} tasks,"
        f" {fell_back} relay batches fell back"
    )
    check(
        Bound("embedded: timer messages, lateness p99", timers_p99, MAX_TIMER_P99_S, " s", 2),
        Bound("embedded: sweep only, lateness p99", sweep_p99, MAX_SWEEP_P99_S, " s", 60),
        Bound(
            "embedded: failed on the write lock",
            errors.count + fell_back,
            MAX_LOCK_ERRORS,
            "",
            0,
        ),
    )


@pytest.fixture
def redis_settings(postgres_database: Settings, redis_server: Any) -> Settings:
    redis.Redis.from_url(redis_server.url).flushdb()
    return dataclasses.replace(postgres_database, redis_url=redis_server.url)


@pytest.fixture
async def redis_demo(redis_settings: Settings) -> AsyncIterator[Demo]:
    """The demo chain on PostgreSQL, this process sending its timers to Redis."""
    await _truncate_postgres(redis_settings)
    # The test client serves from a loop of its own, where a pooled connection of this loop
    # cannot be used: a connection per session (the few this process opens are not measured).
    runtime = Runtime.build(redis_settings, poolclass=NullPool)
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            yield await provision_demo(runtime, client)
    finally:
        await runtime.close()


def _logs(tmp_path: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log"))


def _wait_until_ready(worker: subprocess.Popen[bytes], log: Callable[[], str]) -> None:
    """Until the worker prints its ready line; the limit guards a hung start only."""
    limit = time.monotonic() + 120
    while READY_LINE.format(process="worker") not in log():
        assert worker.poll() is None, log()
        assert time.monotonic() < limit, f"the worker did not start:\n{log()}"
        time.sleep(0.2)


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
async def test_breach_detection_lateness_on_postgres_and_redis(
    redis_demo: Demo, redis_settings: Settings, tmp_path: Path
) -> None:
    worker = pitstop_process("worker", redis_settings, tmp_path, args=("--threads", "8"))
    try:
        _wait_until_ready(worker, lambda: _logs(tmp_path))
        label = "PostgreSQL + Redis, one `pitstop worker` process, 8 threads"
        timers_p99, sweep_p99 = await _both_modes(
            redis_demo, label, _cpu_of(worker.pid), worker.pid
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    failures = _logs(tmp_path).count("Failed to process message")
    print(f"messages that failed (and were retried): {failures}")
    check(
        Bound("PG + Redis: timer messages, lateness p99", timers_p99, MAX_REDIS_P99_S, " s", 2),
        Bound("PG + Redis: sweep only, lateness p99", sweep_p99, MAX_SWEEP_P99_S, " s", 60),
        Bound("PG + Redis: failed messages", failures, MAX_REDIS_FAILURES, "", 0),
    )
