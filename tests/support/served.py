"""A real ``pitstop serve`` on loopback, for tests that need the real HTTP server.

The server picks a free port itself (``--port 0``) and announces it in its ``listening``
line once the socket is bound; a reader thread queues every output line, so the test waits
for that line instead of sleeping or polling the port.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.pool import NullPool

from pitstop.identity.models import User
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenant_manifests import provision
from tests.conftest import SECRET
from tests.support.demo import PASSWORD_HASH, TENANTS_DIR
from tests.support.markers import require_mark

ROOT = Path(__file__).resolve().parents[2]
_ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")


async def provision_demo_database(settings: Settings) -> None:
    """The demo tenants in ``settings``' (migrated) database, every login's password set."""
    runtime = Runtime.build(settings, poolclass=NullPool)
    try:
        await provision(runtime, TENANTS_DIR, apply=True)
        password_hash = PASSWORD_HASH
        async with runtime.sessions() as session, session.begin():
            for user in (await session.scalars(select(User))).all():
                user.password_hash = password_hash
    finally:
        await runtime.close()


def _environment(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    env.update(
        PYTHONPATH=os.pathsep.join(str(ROOT / part) for part in ("", "platform", "plugins")),
        PITSTOP_DATABASE_URL=settings.database_url,
        PITSTOP_MIGRATION_DATABASE_URL=settings.migration_database_url,
        PITSTOP_SECRET_KEY=SECRET,
        PITSTOP_VAR_DIR=str(tmp_path),
        PITSTOP_LOG_LEVEL="INFO",
    )
    return env


class _Lines:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def wait_for(self, marker: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if marker in line:
                return line
        raise AssertionError(f"no {marker!r} line; output:\n" + "\n".join(self.seen[-40:]))


@contextmanager
def served(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``pitstop serve`` on 127.0.0.1 against ``settings``; yields its base URL."""
    require_mark("e2e", "starts a real `pitstop serve`")
    process = subprocess.Popen(
        [sys.executable, "-m", "pitstop.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
        env=_environment(settings, tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = _Lines(process).wait_for("listening")
        match = _ADDRESS.search(line)
        assert match, line
        yield match.group(0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
