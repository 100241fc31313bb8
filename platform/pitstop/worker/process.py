"""``pitstop worker``: Dramatiq worker threads on Redis, until SIGTERM.

The worker builds a runtime of its own (its own engine, used only on the AsyncIO
middleware's event loop) and binds the platform's actors to it.
"""

from __future__ import annotations

import signal
import threading

import dramatiq
import structlog

from pitstop.logs import announce_ready, configure_logging
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.worker.actors import register_actors

log = structlog.get_logger("pitstop.worker")


def start_worker(runtime: Runtime, threads: int) -> dramatiq.Worker:
    """Bind the actors to ``runtime`` and start consuming its broker's queues."""
    register_actors(runtime)
    worker = dramatiq.Worker(runtime.broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


def run_worker(settings: Settings, *, threads: int) -> None:
    # Handlers first: a SIGTERM that arrives while the runtime is still being built must
    # stop the process cleanly rather than kill it with the default action.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    configure_logging(settings)
    runtime = Runtime.build(settings)
    worker = start_worker(runtime, threads)
    log.info("worker_started", threads=threads, plugins=sorted(runtime.plugins.plugins))
    announce_ready("worker")
    stop.wait()
    worker.stop()
