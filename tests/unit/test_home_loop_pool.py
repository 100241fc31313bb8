"""The tests' pool closes its kept connections on their own loop, whoever disposes it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from pitstop.testing.pool import HomeLoopPool


async def test_a_dispose_on_another_loop_leaves_the_connections_to_the_home_loop(
    tmp_path: Path,
) -> None:
    # Given a test's engine holding an idle connection for its own loop
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", poolclass=HomeLoopPool
    )
    closed: list[Any] = []
    event.listen(engine.sync_engine, "close", lambda dbapi, record: closed.append(dbapi))
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    assert "idle=1" in engine.pool.status()
    # When a test client's portal disposes it on a loop of its own, in another thread
    failures: list[BaseException] = []

    def portal() -> None:
        try:
            asyncio.run(engine.dispose())
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    thread = threading.Thread(target=portal)
    thread.start()
    thread.join()
    # Then nothing was closed there, and the replacing pool still holds the connection
    assert failures == [] and closed == []
    assert "idle=1" in engine.pool.status()
    # When the runtime closes on the home loop
    await engine.dispose()
    # Then the connection is closed, on its own loop
    assert len(closed) == 1
    assert "idle=0" in engine.pool.status()
