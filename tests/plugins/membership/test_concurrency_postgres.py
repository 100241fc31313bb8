"""On PostgreSQL, concurrent transactions: no overspending, one earn per order, one answer
per idempotency key. Each attempt is its own session and transaction (its own connection),
run side by side with ``asyncio.gather``; SQLite serialises writers, so it proves nothing
there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import EventDelivery, OutboxEvent
from pitstop.sdk import Event, PluginContext, Unprocessable
from pitstop_membership import earning, ledger, views
from pitstop_membership.idempotency import idempotent
from pitstop_membership.ledger import Source
from pitstop_membership.models import EntryKind
from tests.conftest import ON_POSTGRES
from tests.plugins.membership.conftest import Club
from tests.support.outbox import deliver

T = TypeVar("T")


pytestmark = ON_POSTGRES  # real concurrency: SQLite serialises writers anyway


async def _in_transaction(club: Club, action: Callable[[PluginContext], Awaitable[T]]) -> T:
    runtime = club.demo.runtime
    with tenant_scope(club.crm.tenant_id):
        async with runtime.sessions() as session, session.begin():
            ctx = await runtime.plugins.context(session, "membership")
            return await action(ctx)


async def test_32_concurrent_redemptions_never_overspend(club: Club) -> None:
    # Given a member with 100 points
    who = await club.customer()
    await club.spend(who, 10_000)
    customer_id = uuid.UUID(who[0])

    async def redeem_ten(ctx: PluginContext) -> str:
        account = await views.member(ctx, customer_id, lock=True)
        source = Source(key=f"redeem:{uuid.uuid4()}", reason="并发")
        await ledger.redeem(ctx.session, account, 10, source, ctx.now())
        return "spent"

    async def attempt() -> str:
        try:
            return await _in_transaction(club, redeem_ten)
        except Unprocessable as refused:
            return refused.code

    # When 32 redemptions of 10 points run at once, each in its own transaction
    outcomes = await asyncio.gather(*(attempt() for _ in range(32)))
    # Then exactly ten succeed, the rest are insufficient_points, and the books agree at 0
    assert outcomes.count("spent") == 10
    assert outcomes.count("insufficient_points") == 22
    books = await club.books(who[0])
    assert books.account.balance == 0
    books.assert_balanced()


async def test_redelivered_completion_creates_one_earn_entry(club: Club) -> None:
    # Given an order whose completion was delivered to the plugin once
    who = await club.customer()
    order_id = await club.spend(who, 25_000)
    async with club.demo.runtime.sessions() as session:
        with tenant_scope(club.crm.tenant_id):
            delivery_id, event_id = (
                await session.execute(
                    select(EventDelivery.id, EventDelivery.event_id)
                    .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
                    .where(
                        EventDelivery.plugin == "membership",
                        OutboxEvent.type == "service_order.completed",
                    )
                )
            ).one()
            stored = await session.get(OutboxEvent, (club.crm.tenant_id, event_id))
            assert stored is not None
            event = Event(
                stored.id, stored.type, stored.tenant_id, stored.occurred_at, dict(stored.payload)
            )

    # When the broker redelivers it twice at once, and the handler is run again directly
    # (as a duplicate message whose delivery mark was lost would)
    async def redeliver() -> str:
        with tenant_scope(club.crm.tenant_id):
            return await deliver(club.demo.runtime, delivery_id)

    redelivered = await asyncio.gather(redeliver(), redeliver())

    async def handle(ctx: PluginContext) -> None:
        await earning.on_order_completed(ctx, event)

    await asyncio.gather(*(_in_transaction(club, handle) for _ in range(4)))
    # Then the redeliveries are skipped and there is still one earn entry of 250 points
    assert redelivered == ["skipped", "skipped"]
    books = await club.books(who[0])
    earns = [e for e in books.entries if e.kind == EntryKind.earn]
    assert [(str(e.order_id), e.points) for e in earns] == [(order_id, 250)]
    assert books.account.balance == 250


async def test_concurrent_requests_with_one_idempotency_key_spend_once(club: Club) -> None:
    # Given a member with 100 points
    who = await club.customer()
    await club.spend(who, 10_000)
    customer_id = uuid.UUID(who[0])

    async def request(ctx: PluginContext) -> Any:
        async def work() -> tuple[int, dict[str, Any]]:
            account = await views.member(ctx, customer_id, lock=True)
            source = Source(key=f"redeem:{uuid.uuid4()}", reason="重试")
            entry = await ledger.redeem(ctx.session, account, 30, source, ctx.now())
            return 200, {"entry_id": str(entry.id), "balance": account.balance}

        response = await idempotent(ctx, "tablet-7-redeem-1", "same-body", work, dict)
        return response.content

    # When eight retries of the same request arrive at once
    answers = await asyncio.gather(*(_in_transaction(club, request) for _ in range(8)))
    # Then they all carry the first answer, and 30 points were spent once
    assert len({a["entry_id"] for a in answers}) == 1
    assert {a["balance"] for a in answers} == {70}
    books = await club.books(who[0])
    assert books.account.balance == 70
    assert [str(e.kind) for e in books.entries] == ["earn", "redeem"]
