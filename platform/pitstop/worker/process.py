"""``pitstop worker``: Dramatiq worker threads on Redis, until SIGTERM."""

from __future__ import annotations

import signal
import threading

import dramatiq
import structlog

from pitstop.settings import Settings
from pitstop.worker.broker import setup_broker

log = structlog.get_logger("pitstop.worker")


def start_worker(broker: dramatiq.Broker, threads: int) -> dramatiq.Worker:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


def run_worker(settings: Settings, *, threads: int) -> None:
    broker = setup_broker(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker = start_worker(broker, threads)
    log.info("worker_started", threads=threads, queues=sorted(broker.get_declared_queues()))
    stop.wait()
    worker.stop()
