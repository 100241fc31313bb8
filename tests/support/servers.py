"""Throwaway PostgreSQL and Redis servers on loopback, in a temporary directory.

Lean subprocess code rather than pytest-postgresql: that plugin runs ``pg_ctl`` as the
current user and CI runs as root, where ``initdb`` refuses to work. Here, when we are root,
the PostgreSQL binaries run as the ``postgres`` OS user through ``runuser``.

Each server runs in a session of its own (a Ctrl-C meant for pytest does not stop it
under a running test) and is watched by a :class:`Watchdog` from the moment its directory
exists: a test process killed outright (SIGKILL of pytest or of an xdist worker) leaves
neither a running server nor a directory behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PITSTOP_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
WATCHDOG = Path(__file__).with_name("watchdog.py")
KEPT_LOGS = Path(__file__).resolve().parents[2] / "artifacts" / "postgres"


class ServiceUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Watchdog:
    """A process that stops the server and removes ``root`` if this process dies first.

    It holds the read end of a pipe whose write end only this process has (pipes are not
    inherited by other children), so the kernel closes it on any death. ``targets`` are
    (pid file, signal name) pairs: what to signal to stop the server.
    """

    def __init__(self, root: Path, targets: list[tuple[Path, str]]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WATCHDOG), str(root), *(f"{p}:{sig}" for p, sig in targets)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def release(self) -> None:
        """The server is stopped and its directory gone: the watchdog may exit idle."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.write(b"done")
            self.process.stdin.close()
        self.process.wait(timeout=60)


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresServer:
    host = "127.0.0.1"
    superuser = "postgres"

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise ServiceUnavailable(f"PostgreSQL binaries not found in {PG_BIN}")
        self.root = Path(tempfile.mkdtemp(prefix="pitstop-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # SIGQUIT is PostgreSQL's immediate shutdown: the postmaster stops its backends too.
        self.watchdog = Watchdog(self.root, [(self.data / "postmaster.pid", "SIGQUIT")])

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        options = (
            f"-c listen_addresses={self.host} -c port={self.port} -c unix_socket_directories="
            f"{self.root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c shared_buffers=32MB -c max_connections=100"
            # A statement over 3 s, with its plan, or a wait for a lock over 1 s, is logged;
            # the log is kept when it has any (see stop): a test that is slow only in the
            # full suite says why.
            " -c log_min_duration_statement=3000 -c log_lock_waits=on"
            " -c shared_preload_libraries=auto_explain -c auto_explain.log_min_duration=3000"
        )
        self._run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(self.root / "log"),
                "start",
            ]
        )

    def stop(self) -> None:
        self._keep_slow_log()
        if self.data.exists():
            subprocess.run(
                _as_postgres(
                    [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
                check=False,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)
        self.watchdog.release()

    def _keep_slow_log(self) -> None:
        """Copy the server's log to artifacts/postgres/ if it records a slow statement or a
        lock wait (CI runs in a fresh clone: the copy is there to read after the run)."""
        log = self.root / "log"
        text = log.read_text(errors="replace") if log.exists() else ""
        if "duration:" in text or "still waiting" in text:
            kept = KEPT_LOGS / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.port}.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(text)

    def _run(self, args: list[str]) -> None:
        result = subprocess.run(
            _as_postgres(args),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            start_new_session=True,
        )
        if result.returncode != 0:
            raise ServiceUnavailable(f"{Path(args[0]).name} failed: {result.stderr.strip()}")

    def dsn(
        self,
        dbname: str = "postgres",
        user: str = "postgres",
        password: str | None = None,
        driver: str = "postgresql+asyncpg",
    ) -> str:
        auth = user if password is None else f"{user}:{password}"
        return f"{driver}://{auth}@{self.host}:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        psql = shutil.which("psql") or str(PG_BIN / "psql")
        result = subprocess.run(
            [
                psql,
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.superuser,
                "-d",
                dbname,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            # A guard against a hung server, not an expectation: a bulk insert of 30,000
            # customers took over a minute on a loaded 2-core machine.
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")

    def create_database(self, name: str) -> None:
        self.execute(f'CREATE DATABASE "{name}"')


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceUnavailable("redis-server not found (apt-get install redis-server)")
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="pitstop-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.watchdog = Watchdog(self.root, [(self.root / "redis.pid", "SIGTERM")])

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--daemonize",
                "no",
                "--pidfile",
                str(self.root / "redis.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise ServiceUnavailable("redis-server did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        self.watchdog.release()
