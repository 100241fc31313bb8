"""The scheduler: fires periodic jobs (cron expressions) and the platform's sweeps.

One process fires jobs at a time. On Redis a leader lock (``SET NX PX``, renewed while
held) makes a second scheduler idle rather than double-fire; embedded mode runs exactly
one scheduler thread inside ``pitstop serve``, so it needs no lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import structlog
from croniter import croniter
from sqlalchemy import select

from pitstop.db.base import Clock
from pitstop.db.discovery import TENANTS_RUNNING, discover
from pitstop.db.engine import SessionFactory
from pitstop.events import relay
from pitstop.plugin_host.manager import PluginHost
from pitstop.tenancy.models import Tenant, TenantPlugin, TenantStatus
from pitstop.tenancy.types import zone_problem
from pitstop.worker.core_jobs import CORE_JOBS, active_tenants
from pitstop.worker.dispatch import Dispatcher

log = structlog.get_logger("pitstop.scheduler")
LOCK_KEY = "pitstop:scheduler:leader"
LOCK_TTL_MS = 15_000
SWEEP_CRON = "* * * * * */10"
"""Every ten seconds (croniter's sixth field is seconds)."""
REFRESH_CRON = "*/5 * * * *"
DEFAULT_TIMEZONE = "Asia/Shanghai"
T = TypeVar("T")


@dataclass
class PeriodicJob:
    """A job fired when its cron expression comes due in ``timezone`` (wall-clock time)."""

    name: str
    cron: str
    run: Callable[[], object]
    timezone: str = "UTC"
    next_at: dt.datetime | None = None

    def due(self, now: dt.datetime) -> bool:
        if self.next_at is None:
            self.next_at = self._next_after(now)
        return now >= self.next_at

    def advance(self, now: dt.datetime) -> None:
        self.next_at = self._next_after(now)

    def _next_after(self, now: dt.datetime) -> dt.datetime:
        local = now.astimezone(ZoneInfo(self.timezone))
        nxt: dt.datetime = croniter(self.cron, local).get_next(dt.datetime)
        return nxt.astimezone(dt.UTC)


@dataclass
class Scheduler:
    jobs: list[PeriodicJob] = field(default_factory=list)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def tick(self, stop: threading.Event | None = None) -> list[str]:
        """Fire every due job once; a failing job is logged and never stops the others.
        A stop asked for meanwhile is honoured between jobs, not after the whole tick: at
        a busy minute (every time zone's schedules due at once) the tick is long."""
        now, fired = self.clock(), []
        for job in self.jobs:
            if stop is not None and stop.is_set():
                break
            try:
                if not job.due(now):
                    continue
                job.advance(now)
                job.run()
                fired.append(job.name)
            except Exception:
                log.exception("scheduled_job_failed", job=job.name)
        return fired

    def run(self, stop: threading.Event, is_leader: Callable[[], bool] = lambda: True) -> None:
        while not stop.wait(1.0):
            if is_leader():
                self.tick(stop)


class RedisLeaderLock:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.token = uuid.uuid4().hex

    def __call__(self) -> bool:
        """Take or renew the lock; True while this process is the leader."""
        try:
            if self.client.set(LOCK_KEY, self.token, nx=True, px=LOCK_TTL_MS):
                return True
            if self.client.get(LOCK_KEY) == self.token.encode():
                self.client.pexpire(LOCK_KEY, LOCK_TTL_MS)
                return True
        except Exception:
            log.warning("leader_lock_unavailable")
        return False

    def release(self) -> None:
        """Hand leadership over at once on a clean stop instead of after the TTL."""
        try:
            if self.client.get(LOCK_KEY) == self.token.encode():
                self.client.delete(LOCK_KEY)
        except Exception:
            log.warning("leader_lock_unavailable")


@dataclass(frozen=True)
class Firing:
    """What the scheduler's jobs run with: they read the database and send messages."""

    sessions: SessionFactory
    plugins: PluginHost
    dispatch: Dispatcher


def build_scheduler(
    *, sessions: SessionFactory, plugins: PluginHost, clock: Clock, dispatch: Dispatcher
) -> Scheduler:
    """The relay sweep plus every plugin schedule, in every time zone a tenant uses.

    Each job runs on the scheduler's thread with a short-lived event loop, so ``sessions``
    should come from an engine built with ``poolclass=NullPool`` (no connection outlives
    its loop).
    """
    firing = Firing(sessions, plugins, dispatch)
    scheduler = Scheduler(clock=clock)
    sweep = partial(relay.sweep, sessions=sessions, clock=clock, dispatch=dispatch)
    scheduler.jobs.append(PeriodicJob("relay.sweep", SWEEP_CRON, lambda: _run(sweep())))
    scheduler.jobs.append(
        PeriodicJob("scheduler.refresh", REFRESH_CRON, lambda: add_plugin_jobs(scheduler, firing))
    )
    add_plugin_jobs(scheduler, firing)
    return scheduler


def add_plugin_jobs(scheduler: Scheduler, firing: Firing) -> None:
    """Add a job per (plugin schedule or core job, tenant time zone) not yet known;
    idempotent.

    A database that cannot be read yet (not migrated, restarting) is not fatal: the
    default time zone's jobs are added and the refresh job tries again in five minutes.
    """
    known = {job.name for job in scheduler.jobs}
    try:
        timezones = _run(_tenant_timezones(firing.sessions))
    except Exception as exc:
        log.warning("scheduler_timezones_unavailable", error=type(exc).__name__)
        timezones = [DEFAULT_TIMEZONE]
    for timezone in timezones:
        for plugin in firing.plugins.plugins.values():
            for schedule in plugin.schedules:
                name = f"{plugin.name}.{schedule.name}@{timezone}"
                if name not in known:
                    fire = partial(_fire_schedule, firing, plugin.name, schedule.name, timezone)
                    scheduler.jobs.append(PeriodicJob(name, schedule.cron, fire, timezone))
        for job in CORE_JOBS.values():
            name = f"{job.name}@{timezone}"
            if name not in known:
                fire = partial(_fire_core_job, firing, job.name, timezone)
                scheduler.jobs.append(PeriodicJob(name, job.cron, fire, timezone))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def _tenant_timezones(sessions: SessionFactory) -> list[str]:
    # ``tenants`` is the platform table (not tenant-owned): no discovery needed to read it.
    async with sessions() as session:
        zones = (await session.scalars(select(Tenant.timezone).distinct())).all()
    usable = {zone for zone in zones if zone_problem(zone) is None}
    if len(usable) < len(set(zones)):
        log.warning("tenant_timezones_unusable", count=len(set(zones) - usable))
    return sorted(usable | {DEFAULT_TIMEZONE})


def _fire_core_job(firing: Firing, job: str, timezone: str) -> None:
    for tenant_id in _run(active_tenants(firing.sessions, timezone)):
        firing.dispatch.core_job(tenant_id, job)


def _fire_schedule(firing: Firing, plugin: str, schedule: str, timezone: str) -> None:
    """Discover the tenants (IDs only) and hand each one a tenant-scoped job."""
    for tenant_id in _run(_tenants_with(firing.sessions, plugin, timezone)):
        firing.dispatch.schedule(tenant_id, plugin, schedule)


async def _tenants_with(sessions: SessionFactory, plugin: str, timezone: str) -> list[uuid.UUID]:
    async with sessions() as session:
        rows = await discover(
            session,
            TENANTS_RUNNING,
            {"plugin_name": plugin, "zone": timezone},
            fallback=select(TenantPlugin.tenant_id)
            .join(Tenant, Tenant.id == TenantPlugin.tenant_id)
            .where(
                TenantPlugin.plugin == plugin,
                TenantPlugin.enabled,
                Tenant.timezone == timezone,
                Tenant.status == TenantStatus.active,
            ),
            reason=f"scheduler: tenants running {plugin}",
        )
    return [row[0] for row in rows]
