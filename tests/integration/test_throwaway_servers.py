"""A killed test run leaves no throwaway server running and no directory behind.

pytest (or one xdist worker) killed with SIGKILL runs no teardown; the servers' watchdogs
(tests/support/servers.py) stop them and remove their directories instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT, source_path
from tests.support.server_holder import REPORT
from tests.support.servers import PG_BIN
from tests.support.services import require_or_skip
from tests.support.watchdog import alive

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

START_LIMIT_S = 300.0  # a guard for a hung start on a loaded machine, not an expectation
CLEANUP_LIMIT_S = 60.0


def _holder(tmp_path: Path, args: list[str]) -> subprocess.Popen[bytes]:
    """pytest running tests/support/server_holder.py, its output in ``holder.log``."""
    env = {**os.environ, "PYTHONPATH": source_path(), REPORT: str(tmp_path / "report.json")}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "tests/support/server_holder.py", *args],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "holder.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def _report(process: subprocess.Popen[bytes], tmp_path: Path) -> dict[str, Any]:
    """Poll for the holder's report; fail with its output if it exits or never reports."""
    path, deadline = tmp_path / "report.json", time.monotonic() + START_LIMIT_S
    while not path.exists():
        log = (tmp_path / "holder.log").read_text(errors="replace")
        assert process.poll() is None, f"the holder run ended early:\n{log}"
        assert time.monotonic() < deadline, f"the holder never reported:\n{log}"
        time.sleep(0.1)
    return dict(json.loads(path.read_text()))


def _left_behind(report: dict[str, Any]) -> list[str]:
    servers = (report["postgres"], report["redis"])
    return [f"pid {s['pid']}" for s in servers if alive(s["pid"])] + [
        s["root"] for s in servers if Path(s["root"]).exists()
    ]


@pytest.mark.parametrize(
    "args", [["-p", "no:xdist"], ["-n", "1"]], ids=["pytest killed", "xdist worker killed"]
)
def test_a_killed_run_leaves_no_server_and_no_directory(tmp_path: Path, args: list[str]) -> None:
    if not (PG_BIN / "initdb").exists() or shutil.which("redis-server") is None:
        require_or_skip("PostgreSQL or Redis binaries not found")
    # Given a pytest run holding both throwaway servers
    process = _holder(tmp_path, args)
    try:
        report = _report(process, tmp_path)
        assert report["postgres"]["pid"] and alive(report["postgres"]["pid"])
        assert (report["pid"] == process.pid) == ("no:xdist" in args)
        # When the process running the tests is killed outright
        os.kill(report["pid"], signal.SIGKILL)
        # Then, within a bounded time, both servers are gone and so are their directories
        deadline = time.monotonic() + CLEANUP_LIMIT_S
        while (left := _left_behind(report)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"left behind after {CLEANUP_LIMIT_S:.0f} s: {left}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
