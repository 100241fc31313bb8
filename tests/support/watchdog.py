"""Stops a throwaway server and removes its directory when the test process dies.

A test process that is killed (SIGKILL of pytest or of an xdist worker) runs no teardown,
so the server it started would run on and its temporary directory stay behind. This
script outlives it: the test process starts it in a session of its own (so neither a
Ctrl-C at the terminal nor a kill of pytest's process group reaches it) and keeps the
write end of a pipe to its stdin. The kernel closes that pipe however the test process
ends. If ``done`` arrived first, the test process cleaned up itself and this exits;
otherwise it signals each process named in the pid files, waits for it to go (escalating
to SIGKILL), and removes the directory.

Standard library only, run by path: ``python watchdog.py ROOT PIDFILE:SIGNAL ...``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

GRACE_SECONDS = 20.0


def _pid(pidfile: Path) -> int | None:
    try:
        first = pidfile.read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, not yet reaped by its new parent) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def stop(pid: int, signum: int) -> None:
    """Send ``signum``; after the grace period, SIGKILL. Returns once ``pid`` is gone."""
    try:
        os.kill(pid, signum)
        deadline = time.monotonic() + GRACE_SECONDS
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            while alive(pid):
                time.sleep(0.05)
    except ProcessLookupError:
        return


def clean_up(root: Path, targets: list[tuple[Path, int]]) -> None:
    for pidfile, signum in targets:
        pid = _pid(pidfile)
        if pid is not None:
            stop(pid, signum)
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> None:
    root = Path(argv[0])
    targets = []
    for spec in argv[1:]:
        path, _, name = spec.rpartition(":")
        targets.append((Path(path), int(signal.Signals[name])))
    message = sys.stdin.buffer.read()  # returns when the test process closes the pipe or dies
    if message.strip() != b"done":
        clean_up(root, targets)


if __name__ == "__main__":
    main(sys.argv[1:])
