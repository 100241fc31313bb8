"""``pitstop serve``: the API, plus the worker and scheduler when running embedded.

Embedded, the three share the in-process broker but not an engine: the API's engine lives
on uvicorn's event loop, the worker's on the AsyncIO middleware's loop, and the scheduler
opens short-lived connections from its own thread.
"""

from __future__ import annotations

import threading

import structlog
import uvicorn
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.worker.process import start_worker
from pitstop.worker.scheduler import build_scheduler

log = structlog.get_logger("pitstop.serve")


def run_server(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    app = create_app(runtime=runtime)
    stop = threading.Event()
    worker = None
    if settings.embedded:
        worker = start_worker(runtime.sibling(), threads=2)
        scheduler = build_scheduler(runtime.sibling(poolclass=NullPool))
        threading.Thread(target=scheduler.run, args=(stop,), daemon=True).start()
    base = f"http://{settings.host}:{settings.port}"
    log.info("serving", api=f"{base}/api/v1", openapi=f"{base}/schema", embedded=settings.embedded)
    try:
        # log_config=None: uvicorn's loggers reach the root handler of configure_logging,
        # whose tracebacks hide SQL values, instead of uvicorn's own formatter.
        uvicorn.run(
            app, host=settings.host, port=settings.port, log_level="warning", log_config=None
        )
    finally:
        stop.set()
        if worker is not None:
            worker.stop()
