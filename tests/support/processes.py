"""Real ``pitstop`` processes for end-to-end tests and benchmarks.

The sample plugin reaches a subprocess through a bare dist-info on its path, so its entry
point exists for that process only and never leaks into the test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from pitstop.settings import Settings
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]


def sample_site(tmp_path: Path) -> Path:
    """A directory whose dist-info registers ``tests.plugins.sample`` as plugin ``sample``."""
    info = tmp_path / "site" / "pitstop_sample-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pitstop-sample\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pitstop]\nsample = tests.plugins.sample\n")
    return info.parent


def source_path(site: Path | None = None) -> str:
    """This checkout's source roots first, so a subprocess runs the code under test even
    when the editable install points at another checkout (a git worktree)."""
    roots = [ROOT, ROOT / "platform", ROOT / "plugins", *([site] if site else [])]
    return os.pathsep.join(str(r) for r in roots)


def wait_for_line(
    process: subprocess.Popen[bytes], needle: str, timeout: float = 120.0
) -> list[str]:
    """Read the process's piped output until a line contains ``needle``.

    Fails if the process exits first or the deadline passes; the deadline is a guard for
    a hung process, not a guess at start-up time.
    """
    assert process.stdout is not None
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            lines.append(raw.decode(errors="replace"))
            if needle in lines[-1]:
                found.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    env.update(
        PYTHONPATH=source_path(site),
        PITSTOP_DATABASE_URL=settings.database_url,
        PITSTOP_MIGRATION_DATABASE_URL=settings.migration_database_url,
        PITSTOP_REDIS_URL=settings.redis_url or "",
        PITSTOP_SECRET_KEY=SECRET,
        PITSTOP_VAR_DIR=str(tmp_path),
        PITSTOP_BROKER_HEARTBEAT_MS=str(settings.broker_heartbeat_ms),
        PITSTOP_LOG_LEVEL="WARNING",
    )
    log = (tmp_path / f"{command}-{time.monotonic_ns()}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "pitstop.cli", command, *args],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def process_logs(tmp_path: Path, command: str) -> str:
    return "".join(p.read_text(errors="replace")[-2000:] for p in tmp_path.glob(f"{command}-*.log"))
