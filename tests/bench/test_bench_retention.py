"""What retention's nightly recompute costs as tenants are added, on PostgreSQL.

The fleet grows in steps (``PITSTOP_BENCH_RETENTION``, default ``"20x100,200x100"``: 20
tenants of 100 cars, then 200 tenants - 2,000 then 20,000 vehicles, a few minutes); the
issue's full night is ``"100x100,10000x100"`` (1,000,000 vehicles in 10,000 tenants: about
an hour on the shared 2-core machine - docs/plugins/retention.md, "Scale"). Each step
bulk-loads its new tenants with SQL (tests/bench/retention_fleet.py), runs their first
night (catching up: each car's latest stage is sent if its day is within the grace, else
recorded as skipped), then a steady night - the next day - over every tenant loaded so
far, each tenant's run its own transaction through the plugin's own context, as the
scheduler's job runs it.

Prints, per step: the seconds, vehicles/s, tenants/s, and per tenant the milliseconds,
the CPU of this process and of the database server, and the SQL statements; and the
process's peak memory. Bounds: a steady vehicle's CPU, the largest step's CPU per vehicle
against the smallest's (flat: the night is a loop of
independent tenants, each streamed in batches), and the resident memory growth from the end
of the first step to the end of the last (a tenant holds one batch plus one visit list
per customer, so more tenants must not mean more memory). ``PITSTOP_BENCH_PROFILE=1``
prints the largest steady night's cProfile and its statements per tenant by kind
(``=first``: the last step's first night's). A night of many tenants prints its progress
every 1,000 tenants. Run with ``make bench``.
"""

from __future__ import annotations

import collections
import cProfile
import dataclasses
import datetime as dt
import os
import pstats
import resource
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dramatiq.brokers.stub import StubBroker
from sqlalchemy import event
from sqlalchemy.engine import make_url

import pitstop_retention
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop_retention.nightly import run
from tests.bench import retention_fleet
from tests.bench.bounds import Bound, check
from tests.conftest import ON_POSTGRES
from tests.support.servers import PostgresServer

pytestmark = ON_POSTGRES

NOW = dt.datetime(2026, 3, 10, 19, 15, tzinfo=dt.UTC)
STEPS = [
    tuple(int(part) for part in step.split("x"))
    for step in os.environ.get("PITSTOP_BENCH_RETENTION", "20x100,200x100").split(",")
]
MAX_CPU_MS_PER_VEHICLE = 1.5
"""A steady night's CPU (client and server) per vehicle at the largest step, per-tenant
costs included; measured ~0.6. CPU, not time: on the shared 2-core machine the same night
took 70 to 380 ms a tenant by the clock as the other helpers' loads came and went, while
its CPU stayed within 15%."""
MAX_FLATNESS = 1.5
"""The largest step's CPU per vehicle over the smallest's: flat, with a margin for noise."""
MAX_GROWTH_MB = 64.0
"""Resident memory growth from the end of the first step to the end of the last (not the
peak's: the process's peak is its start-up, which hid ~40 MB of growth below it)."""


@dataclasses.dataclass
class Night:
    tenants: int
    vehicles: int
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    statements: int = 0
    queued: int = 0
    """Broker messages the night queued (events' nudges, reminders to send)."""
    kinds: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def line(self, label: str) -> str:
        per = 1000 / self.tenants
        return (
            f"  {label:<7}{self.tenants:>6} tenants {self.vehicles:>9,} vehicles"
            f" {self.seconds:7.1f} s {self.vehicles / self.seconds:6.0f} vehicles/s"
            f" {self.tenants / self.seconds:5.1f} tenants/s | per tenant: {self.seconds * per:6.1f}"
            f" ms, CPU {self.client_cpu * per:5.1f} client + {self.server_cpu * per:5.1f} server"
            f" ms, {self.statements / self.tenants:5.1f} statements"
            f" | reminders {self.counts.get('reminders', 0):,}, messages {self.queued:,}"
        )

    @property
    def cpu_ms_per_vehicle(self) -> float:
        return 1000 * (self.client_cpu + self.server_cpu) / self.vehicles


def _server_cpu(server: PostgresServer) -> float:
    """CPU seconds the server's processes (the postmaster's children) have used: with the
    client's CPU, a cost that a loaded, shared machine does not inflate as it does time."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == postmaster:  # ppid; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _hand_over(runtime: Runtime) -> int:
    """Drop the messages a tenant's run queued, returning how many: a deployment hands them
    to Redis and its workers, but the bench's in-process broker has no worker, so a first
    night of 10,000 tenants would otherwise hold its half a million messages in this
    process and count them as the night's memory."""
    broker = runtime.broker
    if not isinstance(broker, StubBroker):
        return 0
    queued = sum(q.qsize() for q in broker.queues.values())
    broker.flush_all()
    return queued


def _resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _counting(runtime: Runtime, night: Night) -> Iterator[None]:
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        night.statements += 1
        night.kinds[" ".join(statement.split())[:90]] += 1

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)


async def _night(
    runtime: Runtime, server: PostgresServer, tenants: list[uuid.UUID], per_tenant: int
) -> Night:
    """One night for these tenants, each in its own transaction, timed whole: the session,
    the plugin's row and context, the run and the commit."""
    night = Night(len(tenants), len(tenants) * per_tenant)
    with _counting(runtime, night):
        cpu, server_cpu = time.process_time(), _server_cpu(server)
        start = time.perf_counter()
        for done, tenant in enumerate(tenants, 1):
            if done % PROGRESS == 0:
                _progress(night, done, start, cpu)
            with tenant_scope(tenant):
                async with runtime.sessions() as session, session.begin():
                    ctx = await runtime.plugins.context(session, "retention")
                    summary = await run(ctx)
            for key in ("reminders", "at_risk", "dormant"):
                night.counts[key] = night.counts.get(key, 0) + summary.get(key, 0)
            night.queued += _hand_over(runtime)
        night.seconds = time.perf_counter() - start
        night.client_cpu = time.process_time() - cpu
        night.server_cpu = _server_cpu(server) - server_cpu
    return night


PROGRESS = 1_000
"""A long night prints where it is every this many tenants: a run stopped short still
tells its figures so far."""


def _progress(night: Night, done: int, start: float, cpu: float) -> None:
    seconds = time.perf_counter() - start
    print(
        f"    ... {done:>6,} tenants in {seconds:6.0f} s: {1000 * seconds / done:6.1f} ms and"
        f" {1000 * (time.process_time() - cpu) / done:5.1f} ms client CPU per tenant,"
        f" reminders {night.counts.get('reminders', 0):,}, {time.strftime('%H:%M:%S')}",
        flush=True,
    )


async def _profiled(
    runtime: Runtime, server: PostgresServer, tenants: list[uuid.UUID], per_tenant: int
) -> Night:
    if os.environ.get("PITSTOP_BENCH_PROFILE", "") not in ("1", "steady", "first"):
        return await _night(runtime, server, tenants, per_tenant)
    profile = cProfile.Profile()
    profile.enable()
    night = await _night(runtime, server, tenants, per_tenant)
    profile.disable()
    for order in ("cumulative", "tottime"):
        pstats.Stats(profile).sort_stats(order).print_stats(30)
    print("statements per tenant, by their start:")
    for statement, times in night.kinds.most_common(25):
        print(f"  {times / night.tenants:6.1f}  {statement}")
    return night


async def test_nightly_recompute_across_tenants(
    settings: Settings, postgres_server: PostgresServer
) -> None:
    dbname = make_url(settings.migration_database_url).database or ""
    blocked = dataclasses.replace(settings, plugins_blocked=("retention",))
    runtime = Runtime.build(blocked, extra_plugins=[pitstop_retention])
    day = NOW
    runtime.clock.set(lambda: day)
    steady: list[Night] = []
    tenants: list[uuid.UUID] = []
    resident: list[float] = []
    try:
        for step, (count, per_tenant) in enumerate(STEPS):
            started = time.perf_counter()
            new = await retention_fleet.load(
                postgres_server, dbname, len(tenants), count - 1, per_tenant, NOW
            )
            print(f"\nstep {step + 1}: loaded {len(new):,} tenants x {per_tenant} vehicles"
                  f" in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
            tenants += new
            day = NOW + dt.timedelta(days=step)
            profile_first = last_step = step == len(STEPS) - 1
            profile_first &= os.environ.get("PITSTOP_BENCH_PROFILE") == "first"
            first = await (_profiled if profile_first else _night)(
                runtime, postgres_server, new, per_tenant
            )
            print(first.line("first"), flush=True)
            day = NOW + dt.timedelta(days=step + 1)
            profile_steady = last_step and os.environ.get("PITSTOP_BENCH_PROFILE") != "first"
            night = await (_profiled if profile_steady else _night)(
                runtime, postgres_server, tenants, per_tenant
            )
            print(night.line("steady"), flush=True)

            steady.append(night)
            resident.append(_resident_mb())
            print(f"  memory {resident[-1]:.0f} MB resident, peak {_peak_mb():.0f} MB", flush=True)
    finally:
        await runtime.close()
    small, large = steady[0], steady[-1]
    check(
        Bound("steady night, CPU ms per vehicle (largest step)", large.cpu_ms_per_vehicle,
              MAX_CPU_MS_PER_VEHICLE, " ms"),
        Bound(f"CPU per vehicle, {large.vehicles:,} / {small.vehicles:,} vehicles",
              large.cpu_ms_per_vehicle / small.cpu_ms_per_vehicle, MAX_FLATNESS),
        Bound("resident memory growth, first step to last", resident[-1] - resident[0],
              MAX_GROWTH_MB, " MB"),
    )  # fmt: skip
