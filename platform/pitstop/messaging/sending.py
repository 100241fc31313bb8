"""The worker's half: load a queued message, render it, hand it to its channel, log the result.

The broker message carries the message id only. Here, and only here, the customer's
address and name are read and the body rendered; both go to the channel adapter and
nowhere else (no log line, no event, no row). A message already past ``queued`` is left
alone, so a redelivered broker message does not send twice.

A send is three steps: :func:`prepare` (lock the row, decide, build the
:class:`Outbound`), :func:`call` (the provider) and :func:`settle` (record the answer).
For an idempotent channel all three run in one transaction, the row locked throughout
(PostgreSQL), so two workers holding copies cannot both send. Any other channel's try is
*claimed* (:class:`MessageSend`) and committed in ``prepare``'s transaction before the
provider is called, and settled in a second one: a worker killed in between leaves the
claim open, and the redelivered copy asks the provider (``status``) or marks the message
``unconfirmed`` instead of sending it again.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import current_tenant_id
from pitstop.messaging import templates, unsubscribe
from pitstop.messaging.channels import (
    CONSOLE,
    Channel,
    ChannelFailed,
    Outbound,
    Receipt,
    is_idempotent,
    status_query,
)
from pitstop.messaging.models import Message, MessageSend
from pitstop.tenancy.sealing import Sealer

log = structlog.get_logger("pitstop.messaging")
MAX_ATTEMPTS = 5


class Outcome(enum.StrEnum):
    done = "done"
    """Sent, failed for good, suppressed, or nothing to do."""
    retry = "retry"
    """The channel failed in a way that may pass; try again later."""
    wait = "wait"
    """Still inside quiet hours; ``Result.delay`` says for how long."""


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    delay: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True)
class Available:
    """A channel enabled for the tenant, with the settings of the plugin providing it."""

    channel: Channel
    settings: object = None
    address: Callable[[uuid.UUID], Awaitable[str | None]] | None = None
    """The channel's own customer address (SDK 1.5 ``address``), bound to its plugin's
    context by the host; None: customers are reached at their phone number."""


def _suppress(message: Message, reason: str) -> Result:
    message.status, message.reason = "suppressed", reason
    log.info("message_suppressed", message_id=str(message.id), reason=reason)
    return Result(Outcome.done)


async def _address(
    session: AsyncSession, message: Message, available: Available
) -> tuple[str, str] | None:
    if message.staff_id is not None:
        return str(message.staff_id), ""
    customer = await session.get(Customer, (current_tenant_id(), message.customer_id))
    if customer is None or customer.erased_at is not None:
        return None
    if available.address is not None:
        own = await available.address(customer.id)
        return None if own is None else (own, customer.name)
    return (customer.phone, customer.name) if customer.phone else None


def _medium(available: Available) -> str:
    """What the customer consents to for this channel (a ``reaches`` setting overrides)."""
    return str(getattr(available.settings, "reaches", None) or available.channel.reaches)


def _opened(message: Message, sealer: Sealer | None) -> dict[str, object]:
    """The template's fields with any sealed one (a staff invite's token) opened."""
    data = dict(message.data)
    if sealer is None:
        return data
    return {
        k: sealer.open(message.tenant_id, k, v) if isinstance(v, str) else v
        for k, v in data.items()
    }


def _data(
    message: Message, fields: dict[str, object], medium: str, sealer: Sealer | None
) -> dict[str, object]:
    """The template's fields; a marketing message to a customer adds its unsubscribe token
    (for the medium its consent was checked against)."""
    data = dict(fields)
    if message.purpose == "marketing" and message.customer_id is not None and sealer:
        data["unsubscribe_token"] = unsubscribe.link_token(
            sealer, message.tenant_id, message.customer_id, medium
        )
    return data


@dataclass(frozen=True)
class Prepared:
    """One try, ready for the provider: built by :func:`prepare`, answered by :func:`call`."""

    message_id: uuid.UUID
    channel: Channel
    outbound: Outbound
    claimed: bool
    """The try has a claim row: its transaction must commit before the provider is called."""
    query: bool = False
    """Ask the provider whether an interrupted try went, instead of sending."""


@dataclass(frozen=True)
class Answer:
    receipt: Receipt | None = None
    failure: ChannelFailed | None = None


async def _open_claim(session: AsyncSession, message_id: uuid.UUID) -> MessageSend | None:
    statement = (
        select(MessageSend)
        .where(MessageSend.message_id == message_id, MessageSend.outcome.is_(None))
        .order_by(MessageSend.attempt.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def _claim(session: AsyncSession, message_id: uuid.UUID, attempt: int) -> MessageSend | None:
    statement = select(MessageSend).where(
        MessageSend.message_id == message_id, MessageSend.attempt == attempt
    )
    return (await session.scalars(statement)).one_or_none()


async def _try(
    session: AsyncSession, message: Message, available: Available, now: dt.datetime
) -> tuple[int, bool, bool] | None:
    """Which attempt this is, whether it is claimed, whether the provider is to be asked;
    None when an interrupted try can be neither resent nor asked about (``unconfirmed``)."""
    channel = available.channel
    if is_idempotent(channel, available.settings):
        message.attempts += 1
        return message.attempts, False, False
    interrupted = await _open_claim(session, message.id)
    if interrupted is None:
        message.attempts += 1
        session.add(MessageSend(message_id=message.id, attempt=message.attempts, claimed_at=now))
        return message.attempts, True, False
    if status_query(channel) is not None:
        interrupted.checks += 1
        return interrupted.attempt, True, True
    message.status, message.reason = "unconfirmed", "send_interrupted"
    log.warning("message_unconfirmed", message_id=str(message.id), channel=message.channel)
    return None


async def prepare(
    session: AsyncSession,
    message_id: uuid.UUID,
    *,
    channels: Mapping[str, Available],
    now: dt.datetime,
    sealer: Sealer | None = None,
) -> Result | Prepared:
    """``sealer`` signs the unsubscribe link of a marketing message (none: no link)."""
    # Locked (PostgreSQL): a second worker holding a redelivered copy waits, then finds it
    # past ``queued`` - or finds the first worker's claim.
    message = await session.get(Message, (current_tenant_id(), message_id), with_for_update=True)
    if message is None or message.status != "queued":
        return Result(Outcome.done)
    if message.send_after is not None and now < message.send_after:
        return Result(Outcome.wait, message.send_after - now)
    available = channels.get(message.channel)
    if available is None and message.channel == CONSOLE.name:
        available = Available(CONSOLE)
    if available is None:
        return _suppress(message, "channel_disabled")
    address = await _address(session, message, available)
    if address is None:
        return _suppress(message, "no_address")
    to, name = address
    fields = _opened(message, sealer)
    template = await templates.find(session, message.template or "", message.channel)
    body = templates.render(template, {"customer_name": name, **fields})
    attempt = await _try(session, message, available, now)
    if attempt is None:
        return Result(Outcome.done)
    number, claimed, query = attempt
    outbound = Outbound(
        message_id=message.id,
        tenant_id=message.tenant_id,
        purpose=message.purpose,
        template=message.template,
        to=to,
        body=body,
        recipient_name=name,
        settings=available.settings,
        data=_data(message, fields, _medium(available), sealer),
        attempt=number,
    )
    return Prepared(message.id, available.channel, outbound, claimed, query)


async def call(prepared: Prepared) -> Answer:
    """The provider's answer; the only step that reaches outside the database."""
    query = status_query(prepared.channel) if prepared.query else None
    try:
        if query is not None:
            return Answer(receipt=await query(prepared.outbound))
        return Answer(receipt=await prepared.channel.send(prepared.outbound))
    except ChannelFailed as exc:
        return Answer(failure=exc)


async def settle(
    session: AsyncSession, prepared: Prepared, answer: Answer, now: dt.datetime
) -> Result:
    """Record the answer with the message (and close its claim), in the caller's
    transaction. A claim another worker settled first is left as that worker left it."""
    message = await session.get(
        Message, (current_tenant_id(), prepared.message_id), with_for_update=True
    )
    claim = None
    if prepared.claimed:
        claim = await _claim(session, prepared.message_id, prepared.outbound.attempt)
        if claim is None or claim.outcome is not None:
            return Result(Outcome.done)
    if message is None:
        return Result(Outcome.done)
    if answer.failure is not None:
        return _failed(message, claim, prepared, answer.failure)
    if answer.receipt is None:
        return _absent(message, claim)
    if claim is not None:
        claim.outcome = "sent"
    message.status = "delivered" if answer.receipt.delivered else "sent"
    message.reason = None
    message.receipt_id = answer.receipt.provider_id
    message.sent_at = claim.claimed_at if claim is not None and prepared.query else now
    log.info("message_sent", message_id=str(message.id), channel=message.channel)
    return Result(Outcome.done)


def _absent(message: Message, claim: MessageSend | None) -> Result:
    """The provider has no record of the interrupted try: it is sent again, as the next
    attempt (a channel answering no receipt to a send is treated the same way)."""
    if claim is not None:
        claim.outcome = "absent"
    message.status, message.reason = "queued", None
    return Result(Outcome.retry)


def _failed(
    message: Message, claim: MessageSend | None, prepared: Prepared, failure: ChannelFailed
) -> Result:
    attempt = prepared.outbound.attempt
    tries = claim.checks if prepared.query and claim is not None else attempt
    retry = failure.retry and tries < MAX_ATTEMPTS
    log.warning(
        "message_send_failed",
        message_id=str(message.id),
        channel=message.channel,
        attempt=attempt,
        retry=retry,
        status_query=prepared.query,
    )
    if prepared.query:  # the claim stays open: asked again next time, or staff reconcile
        if not retry:
            message.status, message.reason = "unconfirmed", "send_interrupted"
        return Result(Outcome.retry if retry else Outcome.done)
    if claim is not None:
        claim.outcome = "failed"
    if retry:  # the provider did not take it: a copy that marked it unconfirmed was wrong
        message.status, message.reason = "queued", None
        return Result(Outcome.retry)
    message.status, message.reason = "failed", "channel_error"
    return Result(Outcome.done)


async def send(
    session: AsyncSession,
    message_id: uuid.UUID,
    *,
    channels: Mapping[str, Available],
    now: dt.datetime,
    sealer: Sealer | None = None,
) -> Result:
    """All three steps in the caller's transaction (an idempotent channel's way; a claimed
    try rolled back with the transaction leaves no claim behind)."""
    step = await prepare(session, message_id, channels=channels, now=now, sealer=sealer)
    if isinstance(step, Result):
        return step
    return await settle(session, step, await call(step), now)
