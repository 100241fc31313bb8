"""A ``ReadFirst`` task: its check runs in a transaction that only reads, and its work
runs only when the check says so (the worker's path, ``run_in_plugin``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from pitstop.db.guard import WriteInReadOnly
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.sdk import PluginContext, ReadFirst
from pitstop.tenancy.models import Tenant
from pitstop.worker.actors import run_in_plugin
from pitstop_complaints.models import Complaint
from tests.support.demo import Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _run(runtime: Runtime, task: ReadFirst, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliver the task ``probe`` of the complaints plugin to the demo chain, as the worker."""
    monkeypatch.setitem(runtime.plugins.plugins["complaints"].tasks, "probe", task)
    async with runtime.sessions() as session:
        chain = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
    with tenant_scope(chain):
        await run_in_plugin(
            runtime.sessions, runtime.plugins, "complaints", "probe", {"n": 1}, kind="task"
        )


async def test_the_work_runs_only_when_the_check_finds_some(
    demo: Demo, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[Any] = []

    async def work(ctx: PluginContext, *, n: int) -> None:
        ran.append(n)

    async def nothing_due(ctx: PluginContext, *, n: int) -> bool:
        return False

    async def due(ctx: PluginContext, *, n: int) -> bool:
        return True

    # Given a task whose check finds nothing, When it is delivered, Then the work never runs
    await _run(runtime, ReadFirst(nothing_due, work), monkeypatch)
    assert ran == []
    # Given one whose check finds work, When delivered, Then the work runs, with the arguments
    await _run(runtime, ReadFirst(due, work), monkeypatch)
    assert ran == [1]


async def test_a_check_that_writes_is_refused(
    demo: Demo, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def writes(ctx: PluginContext, *, n: int) -> bool:
        await ctx.session.execute(update(Complaint).values(revision=Complaint.revision + n))
        return True

    async def work(ctx: PluginContext, *, n: int) -> None:
        raise AssertionError("the work must not run after a refused check")

    # Given a check that writes (SQLite began its transaction deferred: not the writer)
    # When the task is delivered, Then the write is refused
    with pytest.raises(WriteInReadOnly):
        await _run(runtime, ReadFirst(writes, work), monkeypatch)
