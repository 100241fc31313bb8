"""The worker's half: load a queued message, render it, hand it to its channel, log the result.

The broker message carries the message id only. Here, and only here, the customer's
address and name are read and the body rendered; both go to the channel adapter and
nowhere else (no log line, no event, no row). A message already past ``queued`` is left
alone, so a redelivered broker message does not send twice (the row is locked for the
send on PostgreSQL, so two workers holding copies cannot both send).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import current_tenant_id
from pitstop.messaging import templates, unsubscribe
from pitstop.messaging.channels import CONSOLE, Channel, ChannelFailed, Outbound
from pitstop.messaging.models import Message
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


def _suppress(message: Message, reason: str) -> Result:
    message.status, message.reason = "suppressed", reason
    log.info("message_suppressed", message_id=str(message.id), reason=reason)
    return Result(Outcome.done)


async def _address(session: AsyncSession, message: Message) -> tuple[str, str] | None:
    if message.staff_id is not None:
        return str(message.staff_id), ""
    customer = await session.get(Customer, (current_tenant_id(), message.customer_id))
    if customer is None or customer.erased_at is not None or not customer.phone:
        return None
    return customer.phone, customer.name


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


async def send(
    session: AsyncSession,
    message_id: uuid.UUID,
    *,
    channels: Mapping[str, Available],
    now: dt.datetime,
    sealer: Sealer | None = None,
) -> Result:
    """``sealer`` signs the unsubscribe link of a marketing message (none: no link)."""
    # Locked (PostgreSQL) for the send: a second worker holding a redelivered copy waits,
    # then finds it past ``queued`` and leaves it.
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
    address = await _address(session, message)
    if address is None:
        return _suppress(message, "no_address")
    to, name = address
    fields = _opened(message, sealer)
    template = await templates.find(session, message.template or "", message.channel)
    body = templates.render(template, {"customer_name": name, **fields})
    message.attempts += 1
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
        attempt=message.attempts,
    )
    try:
        receipt = await available.channel.send(outbound)
    except ChannelFailed as exc:
        retry = exc.retry and message.attempts < MAX_ATTEMPTS
        log.warning(
            "message_send_failed",
            message_id=str(message.id),
            channel=message.channel,
            attempt=message.attempts,
            retry=retry,
        )
        if retry:
            return Result(Outcome.retry)
        message.status, message.reason = "failed", "channel_error"
        return Result(Outcome.done)
    message.status = "delivered" if receipt.delivered else "sent"
    message.receipt_id, message.sent_at = receipt.provider_id, now
    log.info("message_sent", message_id=str(message.id), channel=message.channel)
    return Result(Outcome.done)
