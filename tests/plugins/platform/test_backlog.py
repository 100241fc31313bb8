"""The worker's fast path: one nudge relays and delivers its tenant's backlog in one
transaction, with exactly one effect per delivery, whatever a neighbour's handler does."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import event as orm_event
from sqlalchemy import func, select

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.backlog import Published
from pitstop.events.models import EventDelivery, OutboxEvent
from pitstop.events.outbox import NUDGE_KEY, emit
from pitstop.plugin_host.enablement import configure_plugin
from pitstop.runtime import Runtime
from tests.conftest import ON_POSTGRES, running_worker
from tests.plugins import sample
from tests.support.factories import make_tenant
from tests.support.outbox import relay_backlog


async def _tenant_with_sample(runtime: Runtime, slug: str) -> uuid.UUID:
    tenant_id, _ = await make_tenant(runtime, slug)
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            await configure_plugin(
                session, runtime.plugins, runtime.permissions, "sample", enabled=True, settings=None
            )
    return tenant_id


async def _emit_unnudged(runtime: Runtime, tenant_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """Events committed with their nudges lost: only the nudges a test sends run."""
    runtime.sessions.kw["info"].pop(NUDGE_KEY, None)
    ids = []
    for n in range(count):
        async with runtime.sessions() as session, session.begin():
            with tenant_scope(tenant_id):
                payload = {"order_id": f"o-{n}", "total": n}
                event = await emit(session, "sample.happened", payload, declared=sample.HAPPENED)
                ids.append(event.id)
    return ids


async def _state(runtime: Runtime, tenant_id: uuid.UUID) -> dict[str, object]:
    """Published events, deliveries by status, and effects per event."""
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            published = await session.scalar(
                select(func.count()).where(OutboxEvent.published_at.is_not(None))
            )
            statuses = (await session.scalars(select(EventDelivery.status))).all()
            effects = (
                await session.execute(
                    select(AuditEntry.resource_id, func.count())
                    .where(AuditEntry.action == "sample.seen")
                    .group_by(AuditEntry.resource_id)
                )
            ).all()
    return {
        "published": published,
        "deliveries": sorted(str(s) for s in statuses),
        "effects per event": sorted(n for _, n in effects),
    }


def _count_commits(runtime: Runtime) -> list[int]:
    commits = [0]

    def counted(*_: object) -> None:
        commits[0] += 1

    orm_event.listen(runtime.engine.sync_engine, "commit", counted)
    return commits


async def test_one_nudge_delivers_its_tenants_backlog_in_one_transaction(
    runtime: Runtime,
) -> None:
    # Given five unpublished events in one tenant and two in another, both with sample on
    chain = await _tenant_with_sample(runtime, "chain")
    shop = await _tenant_with_sample(runtime, "shop")
    events = await _emit_unnudged(runtime, chain, 5)
    await _emit_unnudged(runtime, shop, 2)
    commits = _count_commits(runtime)
    # When the nudge of the chain's third event runs
    with tenant_scope(chain):
        done = await relay_backlog(runtime, events[2])
    # Then the chain's whole backlog was published and delivered, once each, in one commit
    assert done == 5
    assert commits == [1]
    assert await _state(runtime, chain) == {
        "published": 5,
        "deliveries": ["done"] * 5,
        "effects per event": [1] * 5,
    }
    # And the shop's events wait for their own nudges
    assert await _state(runtime, shop) == {
        "published": 0,
        "deliveries": [],
        "effects per event": [],
    }


async def test_the_other_nudges_of_a_batch_have_no_second_effect(runtime: Runtime) -> None:
    # Given a batch delivered by its first event's nudge
    chain = await _tenant_with_sample(runtime, "chain")
    events = await _emit_unnudged(runtime, chain, 3)
    published = Published()
    with tenant_scope(chain):
        await relay_backlog(runtime, events[0], published=published)
        commits = _count_commits(runtime)
        # When the others' nudges arrive, at this worker and at one that did not publish them
        here = [await relay_backlog(runtime, e, published=published) for e in events[1:]]
        elsewhere = [await relay_backlog(runtime, e) for e in events[1:]]
    # Then nothing more happens; this worker did not even ask the database
    assert here == elsewhere == [0, 0]
    assert commits == [2]
    assert (await _state(runtime, chain))["effects per event"] == [1, 1, 1]


async def test_a_failing_handler_sends_its_batch_the_classic_way(runtime: Runtime) -> None:
    # Given three events whose middle one the handler fails on once
    chain = await _tenant_with_sample(runtime, "chain")
    events = await _emit_unnudged(runtime, chain, 3)
    sample.FAILURES[str(events[1])] = 1
    # When one nudge runs the batch
    with tenant_scope(chain):
        done = await relay_backlog(runtime, events[0])
    # Then nothing of the batch committed but its publication: a delivery each, pending
    assert done == 0
    assert await _state(runtime, chain) == {
        "published": 3,
        "deliveries": ["pending"] * 3,
        "effects per event": [],
    }
    # And the deliveries' own messages give each handler its own transaction: one effect each
    with running_worker(runtime) as drain:
        await drain()
    assert await _state(runtime, chain) == {
        "published": 3,
        "deliveries": ["done"] * 3,
        "effects per event": [1, 1, 1],
    }


@ON_POSTGRES
async def test_concurrent_nudges_claim_disjoint_batches(runtime: Runtime) -> None:
    # Given twelve unpublished events of one tenant
    chain = await _tenant_with_sample(runtime, "chain")
    events = await _emit_unnudged(runtime, chain, 12)

    async def nudge(event_id: uuid.UUID) -> int:
        with tenant_scope(chain):
            return await relay_backlog(runtime, event_id, batch=4)

    # When all their nudges run at once, in batches of at most four
    done = await asyncio.gather(*(nudge(e) for e in events))
    # Then each event was delivered once, by whichever batch claimed it first
    assert sum(done) == 12
    assert await _state(runtime, chain) == {
        "published": 12,
        "deliveries": ["done"] * 12,
        "effects per event": [1] * 12,
    }
