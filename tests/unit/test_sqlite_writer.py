"""Embedded SQLite's writers wait their turn in a fair queue, not in SQLite's busy handler."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from pitstop.db.engine import READ_ONLY, create_engine
from pitstop.db.sqlite_writer import WriterQueue, writer_queue


async def test_writers_take_their_turns_in_the_order_they_asked() -> None:
    # Given a queue a first writer holds
    queue = WriterQueue()
    await queue.acquire(1)
    order: list[str] = []

    async def writer(name: str) -> None:
        await queue.acquire(5)
        order.append(name)
        queue.release()

    # When three more writers ask, one after another
    waiting = []
    for name in "abc":
        waiting.append(asyncio.create_task(writer(name)))
        await asyncio.sleep(0)  # let it join the queue
    # Then once the first gives its turn back, they write in the order they asked
    queue.release()
    await asyncio.gather(*waiting)
    assert order == ["a", "b", "c"]


async def test_a_writer_past_its_patience_fails_as_sqlite_would_and_leaves_the_queue() -> None:
    # Given a queue that is held
    queue = WriterQueue()
    await queue.acquire(1)
    # When a writer waits past its patience
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        await queue.acquire(0.01)
    # Then it is out of the queue: the next writer gets the turn when it is given back
    queue.release()
    await queue.acquire(1)


async def test_a_cancelled_writer_passes_its_turn_on() -> None:
    # Given a held queue with two writers waiting, the first then cancelled
    queue = WriterQueue()
    await queue.acquire(1)
    first = asyncio.create_task(queue.acquire(5))
    second = asyncio.create_task(queue.acquire(5))
    await asyncio.sleep(0)
    first.cancel()
    # When the turn is given back
    queue.release()
    # Then the second writer has it
    await asyncio.wait_for(second, 5)
    assert first.cancelled()


async def test_a_writer_on_another_threads_loop_gets_its_turn() -> None:
    # Given a queue held on this loop, and a writer waiting on another thread's loop
    queue = WriterQueue()
    await queue.acquire(1)
    asked = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def elsewhere() -> str:
        turn = asyncio.ensure_future(queue.acquire(5))
        await asyncio.sleep(0)
        loop.call_soon_threadsafe(asyncio.Event.set, asked)
        await turn
        queue.release()
        return "wrote"

    other = asyncio.create_task(asyncio.to_thread(asyncio.run, elsewhere()))
    await asked.wait()
    # When this loop gives the turn back, Then the other loop's writer writes
    queue.release()
    assert await other == "wrote"


async def test_a_writer_waits_for_the_commit_and_a_reader_does_not(tmp_path: Path) -> None:
    # Given one SQLite file and a write transaction in progress on it
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE marks (who TEXT)"))
        first = await engine.connect()
        await first.begin()
        await first.execute(text("INSERT INTO marks VALUES ('first')"))

        async def second_writer() -> None:
            async with engine.begin() as second:
                await second.execute(text("INSERT INTO marks VALUES ('second')"))

        waiting = asyncio.create_task(second_writer())
        # When a read-only transaction reads meanwhile, Then it need not wait
        async with engine.connect() as reader:
            await (await reader.execution_options(**{READ_ONLY: True})).begin()
            assert (await reader.scalar(text("SELECT count(*) FROM marks"))) == 0
        assert writer_queue(str(tmp_path / "one.db")).waiting == 1  # queued, not polling
        assert not waiting.done()
        # When the first writer commits and gives its connection back
        await first.commit()
        await first.close()
        # Then the second writer writes after it
        await asyncio.wait_for(waiting, 5)
        async with engine.connect() as check:
            rows = (await check.execute(text("SELECT who FROM marks"))).scalars().all()
        assert rows == ["first", "second"]
    finally:
        await engine.dispose()


def test_a_waiter_whose_loop_closed_does_not_keep_the_turn() -> None:
    # Given a held turn, a waiter on a loop that is then closed, and a live waiter after it
    queue = WriterQueue()
    asyncio.run(queue.acquire(1))
    dead = asyncio.new_event_loop()
    dead_turn = dead.create_future()
    live = asyncio.new_event_loop()
    live_turn = live.create_future()
    queue._waiting.extend([(dead, dead_turn), (live, live_turn)])
    dead.close()
    # When the holder gives its turn back
    queue.release()
    # Then the live waiter gets it, and nobody waits any more
    live.run_until_complete(asyncio.wait_for(live_turn, 1))
    live.close()
    assert queue.waiting == 0
