"""``pitstop serve``: the API, plus the worker and scheduler when running embedded.

Embedded, the three share the in-process broker but not an engine: the API's engine lives
on uvicorn's event loop, the worker's on the AsyncIO middleware's loop, and the scheduler
opens short-lived connections from its own thread.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.http_server import serve_http
from pitstop.processes import scheduler_for, start_worker
from pitstop.runtime import Runtime
from pitstop.settings import Settings

log = structlog.get_logger("pitstop.serve")


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Believe ``X-Forwarded-For`` only from ``PITSTOP_TRUSTED_PROXIES``; a fresh context
    for every request.

    Left alone, uvicorn trusts the header from 127.0.0.1, so anything on the host (or a
    proxy that passes it through) could pick the address the login limits count. And a
    request whose body was refused unread hands its context to the next request on the
    connection (docs/security/edge.md): the edge's RequestScope holds on its own, and
    ``reset_contextvars`` keeps the server's habit out as well.
    """
    trusted = list(settings.trusted_proxies)
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
        "reset_contextvars": True,
    }


def run_server(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    app = create_app(runtime=runtime)
    stop = threading.Event()
    worker = None
    if settings.embedded:
        worker = start_worker(runtime.sibling(), threads=2)
        scheduler = scheduler_for(runtime.sibling(poolclass=NullPool))
        threading.Thread(target=scheduler.run, args=(stop,), daemon=True).start()
    base = f"http://{settings.host}:{settings.port}"
    log.info(
        "serving",
        console=f"{base}/console/",
        api=f"{base}/api/v1",
        openapi=f"{base}/schema",
        embedded=settings.embedded,
    )
    try:
        serve_http(app, settings.host, settings.port, **uvicorn_options(settings))
    finally:
        stop.set()
        if worker is not None:
            worker.stop()
