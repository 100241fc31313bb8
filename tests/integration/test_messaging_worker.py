"""The real Dramatiq worker runs ``pitstop.send_message``: a notify committed by an API-side
transaction is sent by the worker's actor, once, and the broker saw only the id."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.messaging.models import Message
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from tests.conftest import Drain
from tests.support.demo import Demo

TEN_AM = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


async def test_the_worker_sends_a_notified_message_once(
    demo: Demo, runtime: Runtime, worker: Drain
) -> None:
    # Given a chain customer, and the clock at 10:00 in Shanghai
    runtime.clock.set(lambda: TEN_AM)
    customer = (
        await demo.client.post(
            "/api/v1/customers",
            json={"name": "赵云", "phone": "13700006666"},
            headers=await demo.headers(),
        )
    ).json()
    seen: list[Any] = []
    enqueue = runtime.broker.enqueue

    def spy(message: Any, *, delay: int | None = None) -> Any:
        seen.append(message.asdict())
        return enqueue(message, delay=delay)

    runtime.broker.enqueue = spy  # type: ignore[method-assign]
    # When the membership plugin notifies them in a committed transaction
    async with runtime.sessions() as session, session.begin():
        chain = (await session.scalars(select(Tenant.id).where(Tenant.slug == "demo-chain"))).one()
        with tenant_scope(chain):
            ctx: Any = await runtime.plugins.context(session, "membership")
            message_id = await ctx.notify(
                customer_id=uuid.UUID(customer["id"]),
                purpose="transactional",
                template="service_due",
                data={"store_name": "一号店", "due_date": "2026-03-20"},
            )
    await worker()
    # Then the worker delivered it through the console, once
    async with runtime.sessions() as session:
        with tenant_scope(chain):
            row = (await session.scalars(select(Message).where(Message.id == message_id))).one()
    assert (row.status, row.attempts, row.receipt_id) == ("delivered", 1, f"console:{message_id}")
    # And the broker saw the message id, never the name or the phone
    sends = [m for m in seen if m["actor_name"] == "pitstop.send_message"]
    assert [tuple(m["args"]) for m in sends] == [(str(message_id),)]
    text = json.dumps(seen, ensure_ascii=False, default=str)
    assert "赵云" not in text and "13700006666" not in text
