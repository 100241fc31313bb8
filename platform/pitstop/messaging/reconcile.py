"""Staff settling an ``unconfirmed`` message: a worker died while the provider had it and
the provider cannot be asked, so someone checks (the provider's console, the customer)
and says what happened.

``POST /api/v1/messages/{id}/reconcile`` (``messages:reconcile``, HQ) with
``{"outcome": "sent"}`` records it sent (at the time its try was claimed) and closes the
claim; ``{"outcome": "not_sent"}`` closes the claim as absent and queues the message
again, so the worker sends it as the next attempt. Audited as ``message.reconciled``.
Only an ``unconfirmed`` message can be settled (409 otherwise); another tenant's id is a
404, as is a message of a store a store-scoped key does not see.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal, Protocol, runtime_checkable

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit
from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.db.on_commit import on_commit
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import Conflict, NotFound
from pitstop.messaging.controllers import message_out
from pitstop.messaging.models import Message, MessageSend
from pitstop.messaging.schemas import MessageOut


class ReconcileIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["sent", "not_sent"]
    """What staff found: the customer got it, or the provider never took it."""


@runtime_checkable
class MessageDispatch(Protocol):
    """What this module needs of the runtime's dispatcher: tell the worker a message id.
    Runtime-checkable because the API injects it into a handler by this type."""

    def message(self, tenant_id: uuid.UUID, message_id: uuid.UUID, delay_ms: int = 0) -> None: ...


async def settle(
    session: AsyncSession, message: Message, outcome: str, now: dt.datetime
) -> MessageSend | None:
    """Close the open claim and set the message's status; the claim, if there was one."""
    claim = (
        await session.scalars(
            select(MessageSend)
            .where(MessageSend.message_id == message.id, MessageSend.outcome.is_(None))
            .order_by(MessageSend.attempt.desc())
            .limit(1)
        )
    ).first()
    if outcome == "sent":
        message.status, message.reason = "sent", None
        message.sent_at = claim.claimed_at if claim is not None else now
    else:
        message.status, message.reason = "queued", None
    if claim is not None:
        claim.outcome = "sent" if outcome == "sent" else "absent"
    return claim


class ReconcileController(Controller):
    path = "/messages/{message_id:uuid}/reconcile"
    tags = ["messaging"]

    @post(
        "/",
        status_code=200,
        opt={"permission": "messages:reconcile", "problems": (404, 409)},
    )
    async def reconcile(
        self,
        message_id: FromPath[uuid.UUID],
        data: JSONBody[ReconcileIn],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        dispatch: NamedDependency[MessageDispatch],
    ) -> MessageOut:
        """Settle an ``unconfirmed`` message as sent, or queue it again."""
        message = await session.get(
            Message, (current_tenant_id(), message_id), with_for_update=True
        )
        if message is None or (
            message.store_id is not None and not principal.sees_store(message.store_id)
        ):
            raise NotFound("message not found")
        if message.status != "unconfirmed":
            raise Conflict("only an unconfirmed message can be reconciled")
        await settle(session, message, data.outcome, clock())
        if data.outcome == "not_sent":
            tenant_id, queued = message.tenant_id, message.id
            on_commit(session, lambda: dispatch.message(tenant_id, queued, 0))
        await audit.record(
            session,
            "message.reconciled",
            resource="message",
            resource_id=message.id,
            detail={"outcome": data.outcome},
        )
        return message_out(message)
