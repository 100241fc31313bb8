"""Plugin schedules fire per enabled tenant in its time zone; deferred tasks run after commit;
one tenant's bad data never stops another tenant's jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import func, select, update

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.processes import scheduler_for
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from tests.conftest import Drain
from tests.support.demo import Demo


async def _tenant(runtime: Runtime, slug: str) -> uuid.UUID:
    async with runtime.sessions() as session:
        return (await session.scalars(select(Tenant.id).where(Tenant.slug == slug))).one()


async def _count(runtime: Runtime, tenant_id: uuid.UUID, action: str) -> int:
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            statement = select(func.count()).select_from(AuditEntry)
            return int(await session.scalar(statement.where(AuditEntry.action == action)) or 0)


async def test_a_schedule_fires_only_for_tenants_that_enabled_the_plugin(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    import asyncio

    # Given the sample plugin (nightly at 02:00 tenant time) enabled for the chain only
    await demo.client.put(
        "/api/v1/plugins/sample", json={"enabled": True}, headers=await demo.headers()
    )
    chain, shop = await _tenant(runtime, "demo-chain"), await _tenant(runtime, "demo-shop")
    # And a scheduler whose clock stands at 01:59:59 in Shanghai
    now = [dt.datetime(2026, 11, 24, 17, 59, 59, tzinfo=dt.UTC)]
    runtime.clock.set(lambda: now[0])
    scheduler = await asyncio.to_thread(scheduler_for, runtime)
    assert "sample.nightly@Asia/Shanghai" in [j.name for j in scheduler.jobs]
    assert await asyncio.to_thread(scheduler.tick) == []
    # When 02:00 local comes
    now[0] = dt.datetime(2026, 11, 24, 18, 0, 0, tzinfo=dt.UTC)
    fired = await asyncio.to_thread(scheduler.tick)
    await worker()
    # Then the nightly job ran once, for the chain only
    assert "sample.nightly@Asia/Shanghai" in fired
    assert await _count(runtime, chain, "sample.nightly") == 1
    assert await _count(runtime, shop, "sample.nightly") == 0


async def test_a_deferred_task_is_sent_after_commit_and_not_on_rollback(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    await demo.client.put(
        "/api/v1/plugins/sample", json={"enabled": True}, headers=await demo.headers()
    )
    chain = await _tenant(runtime, "demo-chain")
    # Given a context that defers a task, in a transaction that rolls back
    with tenant_scope(chain):
        async with runtime.sessions() as session:
            async with session.begin():
                ctx = await runtime.plugins.context(session, "sample")
                ctx.defer("remind", at=ctx.now(), note="rolled back")
                await session.rollback()
            # And another that commits
            async with session.begin():
                ctx = await runtime.plugins.context(session, "sample")
                ctx.defer("remind", at=ctx.now(), note="committed")
    await worker()
    # Then only the committed one ran
    async with runtime.sessions() as session:
        with tenant_scope(chain):
            notes = (
                await session.scalars(
                    select(AuditEntry.detail).where(AuditEntry.action == "sample.task")
                )
            ).all()
    assert [n["note"] for n in notes] == ["committed"]


async def test_a_tenant_with_a_broken_zone_stops_no_other_tenants_jobs(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    # Given the sample plugin enabled for the chain, and the shop's row holding a zone
    # written before the shared types existed
    await demo.client.put(
        "/api/v1/plugins/sample", json={"enabled": True}, headers=await demo.headers()
    )
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(Tenant).where(Tenant.slug == "demo-shop").values(timezone="Mars/Base")
        )
    now = [dt.datetime(2026, 11, 24, 17, 59, 59, tzinfo=dt.UTC)]
    runtime.clock.set(lambda: now[0])
    # When the scheduler is built and 02:00 Shanghai time comes
    scheduler = await asyncio.to_thread(scheduler_for, runtime)
    await asyncio.to_thread(scheduler.tick)
    now[0] = dt.datetime(2026, 11, 24, 18, 0, 0, tzinfo=dt.UTC)
    fired = await asyncio.to_thread(scheduler.tick)
    # Then the chain's nightly job and the relay sweep still fire
    assert "sample.nightly@Asia/Shanghai" in fired
    assert "relay.sweep" in fired
    assert not any("Mars" in job.name for job in scheduler.jobs)
