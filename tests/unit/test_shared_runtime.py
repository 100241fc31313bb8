"""The shared runtime is handed back clean to every test (tests/support/shared_runtime.py)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dramatiq import Message

from pitstop.settings import Settings
from tests.conftest import make_settings
from tests.support.shared_runtime import SharedRuntimes, rewrite_sqlite

MOMENT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[tuple[SharedRuntimes, Settings]]:
    runtimes = SharedRuntimes()
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'pitstop.db'}")
    runtimes.share(settings)
    yield runtimes, settings
    await runtimes.close()


async def test_what_one_test_leaves_on_the_runtime_is_gone_for_the_next(
    shared: tuple[SharedRuntimes, Settings],
) -> None:
    runtimes, settings = shared
    # Given a test that stopped the clock, spied on the broker and left a message queued
    first = runtimes.runtime(settings)
    assert first is not None
    first.clock.set(lambda: MOMENT)
    first.broker.enqueue = lambda message, *, delay=None: message  # type: ignore[method-assign]
    first.broker.declare_queue("leftover")
    type(first.broker).enqueue(first.broker, Message("leftover", "a", (), {}, {}))
    app = runtimes.app(first)
    # When the next test asks for the runtime
    second = runtimes.runtime(settings)
    # Then it is the same runtime and app, with the wall clock, no spy and empty queues
    assert second is first and runtimes.app(second) is app
    assert abs(second.clock() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert "enqueue" not in vars(second.broker)
    assert second.broker.queues["leftover"].qsize() == 0


async def test_other_settings_are_not_shared(shared: tuple[SharedRuntimes, Settings]) -> None:
    runtimes, settings = shared
    # Given settings the suite did not share (a test's own overrides)
    own = settings.with_overrides(log_level="INFO")
    # When a runtime is asked for them
    # Then there is none: the test builds its own, as before
    assert runtimes.runtime(own) is None


def test_the_database_file_is_rewritten_page_for_page(tmp_path: Path) -> None:
    # Given a template and a database a test wrote to, in write-ahead-log mode
    template, used = tmp_path / "template.db", tmp_path / "used.db"
    with sqlite3.connect(template) as db:
        db.execute("CREATE TABLE t (x)")
    with sqlite3.connect(used) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (1)")
    # When it is rewritten from the template
    rewrite_sqlite(template, used)
    # Then the test's row is gone
    with sqlite3.connect(used) as db:
        assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)
