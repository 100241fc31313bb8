"""Event delivery: one delivery per subscribed, enabled plugin; exactly-once effect."""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy import func, select

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.delivery import MAX_ATTEMPTS, DeliveryFailed
from pitstop.events.models import DeliveryStatus, EventDelivery
from pitstop.events.outbox import emit
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from tests.conftest import Drain, running_worker
from tests.plugins import sample
from tests.support.demo import Demo
from tests.support.outbox import deliver, publish_event, sweep


async def _tenant(runtime: Runtime, slug: str) -> uuid.UUID:
    async with runtime.sessions() as session:
        return (await session.scalars(select(Tenant.id).where(Tenant.slug == slug))).one()


async def _enable(demo: Demo) -> None:
    response = await demo.client.put(
        "/api/v1/plugins/sample", json={"enabled": True}, headers=await demo.headers()
    )
    assert response.status_code == 200


async def _emit(runtime: Runtime, tenant_id: uuid.UUID) -> uuid.UUID:
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            payload = {"order_id": str(uuid.uuid4()), "total": 100}
            event = await emit(session, "sample.happened", payload, declared=sample.HAPPENED)
    return event.id


async def _count(runtime: Runtime, tenant_id: uuid.UUID, action: str = "sample.seen") -> int:
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            statement = select(func.count()).select_from(AuditEntry)
            return int(await session.scalar(statement.where(AuditEntry.action == action)) or 0)


async def _deliveries(runtime: Runtime, tenant_id: uuid.UUID) -> list[EventDelivery]:
    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            return list((await session.scalars(select(EventDelivery))).all())


async def test_committed_event_reaches_the_enabled_tenant_once(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    # Given the sample plugin enabled for the chain only
    await _enable(demo)
    chain, shop = await _tenant(runtime, "demo-chain"), await _tenant(runtime, "demo-shop")
    # When each tenant commits an event and the worker drains the queue
    await _emit(runtime, chain)
    await _emit(runtime, shop)
    await worker()
    # Then the chain's handler had its effect once and its delivery is done
    assert await _count(runtime, chain) == 1
    [delivery] = await _deliveries(runtime, chain)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.done, 1)
    # And the shop, which did not enable the plugin, got no delivery and no effect
    assert await _deliveries(runtime, shop) == []
    assert await _count(runtime, shop) == 0


async def test_redelivery_and_republishing_have_no_second_effect(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    await _enable(demo)
    chain = await _tenant(runtime, "demo-chain")
    event_id = await _emit(runtime, chain)
    await worker()
    [delivery] = await _deliveries(runtime, chain)
    # When the same messages arrive again (at-least-once delivery)
    with tenant_scope(chain):
        assert await publish_event(runtime, event_id) == 0
        assert await deliver(runtime, delivery.id) == "skipped"
    runtime.dispatch.deliver(chain, delivery.id)
    await worker()
    # Then there is still exactly one effect
    assert await _count(runtime, chain) == 1


async def test_a_failing_handler_rolls_back_retries_and_ends_failed(
    demo: Demo, runtime: Runtime
) -> None:
    # Given a handler that fails on every attempt for one event
    await _enable(demo)
    chain = await _tenant(runtime, "demo-chain")
    event_id = await _emit(runtime, chain)
    sample.FAILURES[str(event_id)] = MAX_ATTEMPTS
    with tenant_scope(chain):
        await publish_event(runtime, event_id)
    [delivery] = await _deliveries(runtime, chain)
    # When it is attempted MAX_ATTEMPTS times (as the broker's retries would)
    outcomes = []
    with tenant_scope(chain):
        for _ in range(MAX_ATTEMPTS):
            try:
                outcomes.append(await deliver(runtime, delivery.id))
            except Exception as exc:
                outcomes.append(type(exc).__name__)
    # Then it is retried with an error each time, then left failed, with no effect written
    assert outcomes == ["DeliveryFailed"] * (MAX_ATTEMPTS - 1) + ["failed"]
    [delivery] = await _deliveries(runtime, chain)
    assert delivery.status == DeliveryStatus.failed
    assert delivery.attempts == MAX_ATTEMPTS
    assert "failed on purpose" in (delivery.last_error or "")
    assert await _count(runtime, chain) == 0
    # And HQ sees it among the failed deliveries
    headers = await demo.headers()
    listed = await demo.client.get("/api/v1/events/deliveries?status=failed", headers=headers)
    assert [d["id"] for d in listed.json()["items"]] == [str(delivery.id)]
    assert listed.json()["items"][0]["event_type"] == "sample.happened"


async def test_a_failed_delivery_can_be_retried_once_fixed(demo: Demo, runtime: Runtime) -> None:
    # Given a delivery that failed every attempt (no worker yet: we play the broker by hand)
    await _enable(demo)
    chain = await _tenant(runtime, "demo-chain")
    event_id = await _emit(runtime, chain)
    sample.FAILURES[str(event_id)] = MAX_ATTEMPTS
    with tenant_scope(chain):
        await publish_event(runtime, event_id)
        [delivery] = await _deliveries(runtime, chain)
        for _ in range(MAX_ATTEMPTS):
            with contextlib.suppress(DeliveryFailed):
                await deliver(runtime, delivery.id)
    runtime.broker.flush_all()  # the messages we played by hand
    # When HQ retries it after the cause is gone, and a worker runs
    headers = await demo.headers()
    response = await demo.client.post(
        f"/api/v1/events/deliveries/{delivery.id}/retry", headers=headers
    )
    assert response.status_code == 202
    with running_worker(runtime) as drain:
        await drain()
    # Then it is done, with exactly one effect; a second retry is refused
    [delivery] = await _deliveries(runtime, chain)
    assert delivery.status == DeliveryStatus.done
    assert await _count(runtime, chain) == 1
    again = await demo.client.post(
        f"/api/v1/events/deliveries/{delivery.id}/retry", headers=headers
    )
    assert again.status_code == 409


async def test_another_tenant_cannot_see_or_retry_a_delivery(demo: Demo, runtime: Runtime) -> None:
    # Given a failed delivery of the chain
    await _enable(demo)
    chain = await _tenant(runtime, "demo-chain")
    event_id = await _emit(runtime, chain)
    with tenant_scope(chain):
        await publish_event(runtime, event_id)
    [delivery] = await _deliveries(runtime, chain)
    # When the shop's owner lists deliveries and tries to retry the chain's one
    shop = await demo.token("owner@demo-shop.example", tenant="demo-shop")
    headers = {"Authorization": f"Bearer {shop}"}
    listed = await demo.client.get("/api/v1/events/deliveries", headers=headers)
    retried = await demo.client.post(
        f"/api/v1/events/deliveries/{delivery.id}/retry", headers=headers
    )
    # Then the shop sees nothing of it and the retry is 404, changing nothing
    assert listed.json()["items"] == []
    assert retried.status_code == 404
    assert (await _deliveries(runtime, chain))[0].status == DeliveryStatus.pending


async def test_the_sweep_republishes_events_whose_nudge_was_lost(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    # Given an event committed while the broker could not be told (nudge lost)
    await _enable(demo)
    chain = await _tenant(runtime, "demo-chain")
    runtime.sessions.kw["info"].pop("pitstop_outbox_nudge")
    await _emit(runtime, chain)
    await worker()
    assert await _count(runtime, chain) == 0
    # When the sweep runs a minute later
    import datetime as dt

    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    runtime.clock.set(lambda: later)
    events, _ = await sweep(runtime)
    await worker()
    # Then the event is delivered, once
    assert events == 1
    assert await _count(runtime, chain) == 1
