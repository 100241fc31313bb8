"""The scheduler: fires periodic jobs (cron expressions) and the platform's sweeps.

One process fires jobs at a time. On Redis a leader lock (``SET NX PX``, renewed while
held) makes a second scheduler idle rather than double-fire; embedded mode runs exactly
one scheduler thread inside ``pitstop serve``, so it needs no lock.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import structlog
from croniter import croniter

from pitstop.settings import Settings

log = structlog.get_logger("pitstop.scheduler")
LOCK_KEY = "pitstop:scheduler:leader"
LOCK_TTL_MS = 15_000


@dataclass
class PeriodicJob:
    """A job fired when its cron expression comes due in ``timezone`` (wall-clock time)."""

    name: str
    cron: str
    run: Callable[[], None]
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

    def tick(self) -> list[str]:
        """Fire every due job once; a failing job is logged and never stops the others."""
        now, fired = self.clock(), []
        for job in self.jobs:
            if job.due(now):
                job.advance(now)
                try:
                    job.run()
                    fired.append(job.name)
                except Exception:
                    log.exception("scheduled_job_failed", job=job.name)
        return fired

    def run(self, stop: threading.Event, is_leader: Callable[[], bool] = lambda: True) -> None:
        while not stop.wait(1.0):
            if is_leader():
                self.tick()


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


def build_scheduler(settings: Settings) -> Scheduler:
    """The platform's periodic jobs; plugin schedules join here (plugin platform)."""
    return Scheduler(jobs=[])


def run_scheduler(settings: Settings) -> None:
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = build_scheduler(settings)
    assert settings.redis_url is not None
    log.info("scheduler_started", jobs=[j.name for j in scheduler.jobs])
    lock = RedisLeaderLock(settings.redis_url)
    try:
        scheduler.run(stop, lock)
    finally:
        lock.release()
