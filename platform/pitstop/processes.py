"""``pitstop worker`` and ``pitstop scheduler``: the process entry points besides the API.

Each process builds a runtime of its own and hands the worker's actors and the scheduler's
jobs the collaborators they run with; nothing below this module sees the runtime. The
worker's engine is used only on the AsyncIO middleware's event loop; the scheduler opens
short-lived connections from its own thread (``NullPool``).
"""

from __future__ import annotations

import faulthandler
import signal
import threading
from typing import Any

import dramatiq
import structlog
from sqlalchemy.pool import NullPool

from pitstop.logs import announce_ready, configure_logging
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.worker.actors import register_actors
from pitstop.worker.scheduler import RedisLeaderLock, Scheduler, build_scheduler

log = structlog.get_logger("pitstop.worker")


def bind_actors(runtime: Runtime) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Register the platform's actors on ``runtime``'s broker, bound to its collaborators."""
    return register_actors(
        runtime.broker,
        sessions=runtime.sessions,
        plugins=runtime.plugins,
        clock=runtime.clock,
        dispatch=runtime.dispatch,
    )


def start_worker(runtime: Runtime, threads: int) -> dramatiq.Worker:
    """Bind the actors to ``runtime`` and start consuming its broker's queues."""
    bind_actors(runtime)
    worker = dramatiq.Worker(runtime.broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


def scheduler_for(runtime: Runtime) -> Scheduler:
    """The scheduler of ``runtime`` (built with ``poolclass=NullPool``: see build_scheduler)."""
    return build_scheduler(
        sessions=runtime.sessions,
        plugins=runtime.plugins,
        clock=runtime.clock,
        dispatch=runtime.dispatch,
    )


def _stop_on_signals() -> threading.Event:
    # Handlers first: a SIGTERM that arrives while the runtime is still being built must
    # stop the process cleanly rather than kill it with the default action. SIGUSR1 prints
    # every thread's stack and goes on (`kill -USR1 <pid>`): a process that does not stop
    # tells where it waits, without a debugger on the host.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    return stop


def run_worker(settings: Settings, *, threads: int) -> None:
    stop = _stop_on_signals()
    configure_logging(settings)
    runtime = Runtime.build(settings)
    worker = start_worker(runtime, threads)
    log.info("worker_started", threads=threads, plugins=sorted(runtime.plugins.plugins))
    announce_ready("worker")
    stop.wait()
    worker.stop()


def run_scheduler(settings: Settings) -> None:
    """The separate scheduler needs Redis: its leader lock lives there."""
    if settings.redis_url is None:
        raise ValueError("a separate scheduler needs PITSTOP_REDIS_URL (its leader lock)")
    stop = _stop_on_signals()
    configure_logging(settings)
    runtime = Runtime.build(settings, poolclass=NullPool)
    scheduler = scheduler_for(runtime)
    log.info("scheduler_started", jobs=[j.name for j in scheduler.jobs])
    announce_ready("scheduler")
    lock = RedisLeaderLock(settings.redis_url)
    try:
        scheduler.run(stop, lock)
    finally:
        lock.release()
