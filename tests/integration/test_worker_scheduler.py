"""`pitstop worker` and `pitstop scheduler` on a real Redis: they start, lead and stop cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pitstop.logs import READY_LINE
from pitstop.worker.scheduler import PeriodicJob, RedisLeaderLock, Scheduler
from tests.support.processes import source_path, wait_for_line


def _env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    return {
        **base,
        "PYTHONPATH": source_path(),
        "PITSTOP_VAR_DIR": str(tmp_path),
        "PITSTOP_REDIS_URL": redis_url,
        "PITSTOP_SECRET_KEY": "k" * 40,
    }


@pytest.mark.e2e
@pytest.mark.redis
@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_process_runs_until_sigterm(tmp_path: Path, redis_server: Any, command: str) -> None:
    # Given the process started against Redis
    process = subprocess.Popen(
        [sys.executable, "-m", "pitstop.cli", command],
        env=_env(tmp_path, redis_server.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Then it says it is ready, however long a loaded machine takes, and is still running
    output = wait_for_line(process, READY_LINE.format(process=command))
    assert process.poll() is None
    # When it receives SIGTERM, it stops cleanly
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)  # it prints every thread's stack (faulthandler)
        try:
            process.wait(timeout=5)  # a guard while it prints; it is not expected to exit
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.ended.wait(10)  # the reader has the stacks once the output has closed
        raise AssertionError("still running 30 s after SIGTERM:\n" + "".join(output)) from None
    assert code == 0, "".join(output)


@pytest.mark.redis
def test_only_one_scheduler_leads(redis_server: Any) -> None:
    # Given two schedulers' leader locks on one Redis
    first, second = RedisLeaderLock(redis_server.url), RedisLeaderLock(redis_server.url)
    # Then the first takes the lock, keeps renewing it, and the second stays idle
    assert first() is True
    assert second() is False
    assert first() is True
    assert second() is False


def test_cron_job_fires_once_per_due_time() -> None:
    import datetime as dt

    # Given a job due daily at 02:00 Shanghai time and an injected clock
    now = [dt.datetime(2026, 11, 22, 17, 0, tzinfo=dt.UTC)]  # 01:00 in Shanghai
    fired: list[int] = []
    job = PeriodicJob("nightly", "0 2 * * *", lambda: fired.append(1), timezone="Asia/Shanghai")
    scheduler = Scheduler(jobs=[job], clock=lambda: now[0])
    # When ticks come before, at and after 02:00 local (18:00 UTC)
    scheduler.tick()
    now[0] = dt.datetime(2026, 11, 22, 18, 0, 1, tzinfo=dt.UTC)
    scheduler.tick()
    scheduler.tick()
    # Then it fired exactly once
    assert fired == [1]


def test_a_stop_asked_for_during_a_tick_ends_it_after_the_running_job() -> None:
    import datetime as dt
    import threading

    # Given three jobs due at once, the first of which is running when SIGTERM comes
    now = dt.datetime(2026, 11, 22, 18, 0, 1, tzinfo=dt.UTC)
    stop, ran = threading.Event(), []

    def job(name: str) -> PeriodicJob:
        def run() -> None:
            ran.append(name)
            stop.set()  # the signal arrives while this job runs

        return PeriodicJob(name, "* * * * *", run)

    scheduler = Scheduler(jobs=[job("first"), job("second"), job("third")], clock=lambda: now)
    for planned in scheduler.jobs:
        planned.next_at = now - dt.timedelta(seconds=1)
    # When the tick runs
    fired = scheduler.tick(stop)
    # Then the running job finishes and no other starts
    assert ran == fired == ["first"]


def test_a_ready_process_that_prints_a_lot_is_not_blocked_by_its_pipe(tmp_path: Path) -> None:
    # Given a process that prints its ready line and then much more than a pipe holds
    script = "print('ready', flush=True); print('x' * 300_000, flush=True)"
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    # When the test waits for the ready line and reads nothing more itself
    output = wait_for_line(process, "ready")
    # Then the process still writes it all and exits by itself
    try:
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()  # a no-op once it has exited
    assert output.ended.wait(10) and len("".join(output)) > 300_000
