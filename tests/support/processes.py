"""Real ``pitstop`` processes for end-to-end tests and benchmarks.

The sample plugin reaches a subprocess through a bare dist-info on its path, so its entry
point exists for that process only and never leaks into the test process.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from pitstop.settings import Settings
from tests.conftest import SECRET
from tests.support.markers import require_mark
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def sample_site(tmp_path: Path) -> Path:
    """A directory whose dist-info registers ``tests.plugins.sample`` as plugin ``sample``."""
    info = tmp_path / "site" / "pitstop_sample-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pitstop-sample\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pitstop]\nsample = tests.plugins.sample\n")
    return info.parent


def source_path(site: Path | None = None, root: Path = ROOT) -> str:
    """This checkout's source roots first, so a subprocess runs the code under test even
    when the editable install points at another checkout (a git worktree)."""
    roots = [root, root / "platform", root / "plugins", *([site] if site else [])]
    return os.pathsep.join(str(r) for r in roots)


class Output(list[str]):
    """A process's output lines, still growing while the process runs; ``ended`` is set
    when its output closes (it exited), so a test can read the last of it."""

    def __init__(self) -> None:
        super().__init__()
        self.ended = threading.Event()


def wait_for_line(process: subprocess.Popen[bytes], needle: str, timeout: float = 120.0) -> Output:
    """Read the process's piped output until a line contains ``needle``.

    Fails if the process exits first or the deadline passes; the deadline is a guard for
    a hung process, not a guess at start-up time. The reader goes on draining the pipe
    after the line (into the list returned): a process whose output nobody reads blocks
    in its next write once the pipe's 64 KiB are full - a scheduler logging its failing
    jobs did, and then could not stop on SIGTERM.
    """
    assert process.stdout is not None
    lines = Output()
    found, settled = threading.Event(), threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            lines.append(raw.decode(errors="replace"))
            if not found.is_set() and needle in lines[-1]:
                found.set()
                settled.set()
        lines.ended.set()
        settled.set()  # the output ended (the process exited): the needle never came

    threading.Thread(target=read, daemon=True).start()
    settled.wait(timeout)
    if not found.is_set():
        raise AssertionError(f"no {needle!r} from the process; it printed:\n{''.join(lines)}")
    return lines


def pitstop_process(
    command: str,
    settings: Settings,
    tmp_path: Path,
    *,
    site: Path | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start ``pitstop <command>`` against ``settings``; output goes to ``<command>-*.log``."""
    require_mark("e2e", f"starts a real `pitstop {command}`")
    log = (tmp_path / f"{command}-{time.monotonic_ns()}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "pitstop.cli", command, *args],
        env=_environment(settings, tmp_path, site),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def ready_process(
    command: str, settings: Settings, tmp_path: Path, *, args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """``pitstop <command>`` with its output piped, returned once it prints its ready line."""
    from pitstop.logs import READY_LINE

    require_mark("e2e", f"starts a real `pitstop {command}`")
    process = subprocess.Popen(
        [sys.executable, "-m", "pitstop.cli", command, *args],
        env=_environment(settings, tmp_path, None),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_line(process, READY_LINE.format(process=command))
    except BaseException:
        process.kill()  # a process that never became ready is not left running
        process.wait()
        raise
    return process


def _environment(
    settings: Settings, tmp_path: Path, site: Path | None, root: Path = ROOT
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    env.update(
        PYTHONPATH=source_path(site, root),
        PITSTOP_DATABASE_URL=settings.database_url,
        PITSTOP_MIGRATION_DATABASE_URL=settings.migration_database_url,
        PITSTOP_REDIS_URL=settings.redis_url or "",
        PITSTOP_SECRET_KEY=SECRET,
        PITSTOP_VAR_DIR=str(tmp_path),
        PITSTOP_BROKER_HEARTBEAT_MS=str(settings.broker_heartbeat_ms),
        PITSTOP_LOG_LEVEL="WARNING",
    )
    return env


def process_logs(tmp_path: Path, command: str) -> str:
    return "".join(p.read_text(errors="replace")[-2000:] for p in tmp_path.glob(f"{command}-*.log"))


class UvicornServer:
    """A real ``uvicorn`` serving an app factory on 127.0.0.1, its output read line by line.

    A reader thread queues every output line, so the test waits for the line it needs
    (readiness, a probe) instead of sleeping; a process that dies is reported with its output.
    """

    def __init__(self, factory: str, settings: Settings, tmp_path: Path, root: Path = ROOT) -> None:
        """``root``: the checkout whose code is served (the HTTP bench serves an earlier
        one beside this one to measure a change side by side)."""
        require_mark("e2e", "serves the app from a real uvicorn process")
        self.port = free_port()
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1"),
                *("--port", str(self.port), "--log-level", "info", "--no-access-log"),
            ],
            env=_environment(settings, tmp_path, None, root),
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("Uvicorn running on")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output: the process is exiting

    def wait_for(self, marker: str, timeout: float = 60) -> str:
        """The next line containing ``marker``; fails with the output if it never comes."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.output.append(line)
            if marker in line:
                return line
        raise AssertionError(f"no line with {marker!r}; output:\n" + "\n".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
