"""A test that starts both throwaway servers, says where they are, and waits to be killed.

Not collected by the suite (no ``test_`` file name): tests/integration/
test_throwaway_servers.py runs it in a pytest process of its own, naming it on the
command line, and kills that process (or its xdist worker) with SIGKILL.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from tests.support.servers import PostgresServer, RedisServer

REPORT = "PITSTOP_TEST_HOLDER_REPORT"


def _postmaster(server: PostgresServer) -> int:
    return int((server.data / "postmaster.pid").read_text().split("\n", 1)[0])


@pytest.mark.postgres
@pytest.mark.redis
def test_hold_the_servers(postgres_server: PostgresServer, redis_server: RedisServer) -> None:
    assert redis_server.process is not None
    report = {
        "pid": os.getpid(),
        "postgres": {"root": str(postgres_server.root), "pid": _postmaster(postgres_server)},
        "redis": {"root": str(redis_server.root), "pid": redis_server.process.pid},
    }
    target = Path(os.environ[REPORT])
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(report))
    partial.rename(target)  # the reader never sees half a report
    threading.Event().wait()  # until killed
