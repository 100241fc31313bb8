"""The real app on a loopback port, and Debian's Chromium, for the browser tests.

One app and one browser per test module: the server runs in a thread on a socket bound
before it starts (so the port is known and connections queue from the first moment), and
the fixture waits for uvicorn's own "started" signal, never a fixed sleep. Chromium is
``/usr/bin/chromium`` (``apt-get install chromium``; never ``playwright install``), launched
with the background services off, since the closed network refuses their connections.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from pitstop.serve import uvicorn_options
from pitstop.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
"""Screenshots the tests take (git-ignored; docs/console.md shows where they come from)."""


class _SignallingServer(uvicorn.Server):
    """uvicorn, telling the test when it has started (or that it never will)."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: Any = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


@contextmanager
def served(app: Any, settings: Settings) -> Iterator[str]:
    """``app`` on ``http://127.0.0.1:<free port>`` until the block ends; yields the base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", lifespan="on", **uvicorn_options(settings)
    )
    ready = threading.Event()
    server = _SignallingServer(config, ready)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    if not ready.wait(timeout=30) or not server.started:
        server.should_exit = True
        thread.join(timeout=10)
        raise RuntimeError("the console's app did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
