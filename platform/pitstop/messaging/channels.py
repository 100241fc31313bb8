"""The channel contract: what a channel adapter is, and what it is handed at send time.

A channel is a plugin's adapter (the ``channels()`` hook) or the built-in ``console``. It
is handed an :class:`Outbound` - the one place a rendered body and an address exist -
and returns a :class:`Receipt`. An adapter must not log the address or the body; it may
log the message id. ``reaches`` says which medium the customer consents to when this
channel is used (``sms``, ``wecom``, ``phone``): consent is given to a medium people
understand, not to an adapter's name.

Two optional members (SDK 1.4) decide what happens when a worker dies mid-send: a
channel whose provider refuses a repeated idempotency key sets ``idempotent = True`` and
is simply asked again with the same ``attempt``; any other channel's try is claimed in
the database before the provider is called, and a redelivered copy finding the claim
open calls ``status(message)`` where the channel has it (the provider's own record of
the send), else marks the message ``unconfirmed`` for staff to reconcile.

A channel that addresses customers by something other than their phone (a WeCom
external contact) has an optional ``async address(ctx, customer_id) -> str | None``
(SDK 1.5): it reads the address from its own plugin's tables. Such a channel is chosen
only for the customers it has an address for; the worker asks it again at send time.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import msgspec


class ChannelFailed(Exception):
    """The channel could not deliver; ``retry`` says whether trying again may help.
    The message must name no address and no body."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Outbound:
    """One message as the channel sees it, built by the worker just before sending."""

    message_id: uuid.UUID
    tenant_id: uuid.UUID
    purpose: str
    template: str | None
    to: str
    """The address: a phone number, a staff id, a webhook's customer id."""
    body: str
    recipient_name: str = ""
    settings: Any = None
    """The tenant's validated settings for the plugin that provides the channel."""
    data: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    """Which try this is (SDK 1.3). A worker killed mid-send before its commit hands the
    redelivered copy the same number, so ``(message_id, attempt)`` makes an idempotency key
    a provider can refuse a repeat by; a real retry after a failure gets the next number."""


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    delivered: bool = False
    """True when the channel knows the message arrived (the console does)."""


@runtime_checkable
class Channel(Protocol):
    name: str
    reaches: str
    capabilities: frozenset[str]
    """``customer``, ``staff``: whom the channel can address."""
    settings: type[msgspec.Struct] | None

    async def send(self, message: Outbound) -> Receipt: ...


def is_idempotent(channel: Channel, settings: Any = None) -> bool:
    """Optional ``idempotent`` (default False): the provider drops a repeated try itself.
    A bool, or a method given the tenant's settings (a channel whose provider is chosen per
    tenant: Aliyun SMS refuses a repeated nonce, Tencent Cloud SMS has no such key)."""
    flag = getattr(channel, "idempotent", False)
    return bool(flag(settings) if callable(flag) else flag)


StatusQuery = Callable[[Outbound], Awaitable[Receipt | None]]
AddressQuery = Callable[[Any, uuid.UUID], Awaitable[str | None]]
"""``address(ctx, customer_id)``: ctx is the providing plugin's ``PluginContext``."""


def status_query(channel: Channel) -> StatusQuery | None:
    """Optional ``async status(message) -> Receipt | None``: the provider's word on whether
    it took this try - a receipt if it did, None if it has no record of it (so sending
    again is safe); raise ``ChannelFailed(retry=True)`` when it cannot tell yet."""
    query = getattr(channel, "status", None)
    return query if callable(query) else None


def address_query(channel: Channel) -> AddressQuery | None:
    """Optional ``async address(ctx, customer_id) -> str | None`` (SDK 1.5): the customer's
    address on this channel from the plugin's own tables, None when it has none (the
    customer is then reached by another channel, or ``suppressed:no_address``)."""
    query = getattr(channel, "address", None)
    return query if callable(query) else None


def configured_for_customers(channel: Channel, settings: Any) -> bool:
    """Optional ``configured(settings) -> bool`` of a channel with ``address`` (SDK 1.5):
    whether this tenant's settings switch it on for customers (default False). A configured
    one that holds no address for a customer, where no ordinary channel reaches customers,
    makes that message ``suppressed:no_address`` rather than a console entry."""
    configured = getattr(channel, "configured", None)
    return bool(configured(settings)) if callable(configured) else False


class ConsoleChannel:
    """The embedded default: the contact log is the only place the message goes.

    It delivers nothing anywhere, so ``make run`` shows messages (status ``delivered``,
    receipt ``console:<id>``) without credentials. The body is not written anywhere.
    """

    name: str = "console"
    reaches: str = "sms"
    capabilities: frozenset[str] = frozenset({"customer", "staff"})
    settings: type[msgspec.Struct] | None = None
    idempotent: bool = True
    """Nothing leaves the process: asking it twice sends nothing twice."""

    async def send(self, message: Outbound) -> Receipt:
        return Receipt(f"console:{message.message_id}", delivered=True)


CONSOLE = ConsoleChannel()
