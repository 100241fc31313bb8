"""``ctx.notify`` and ``ctx.notify_staff``: a plugin's message, queued in its transaction.

The host picks the channel (the first enabled plugin channel able to reach the audience,
else the built-in ``console``; a channel with its own customer addresses - WeCom - first,
for the customers it has one for and whose consent allows its medium), the messaging
domain applies the tenant's rules and writes the contact log row, and the worker is told
the row's id after commit - only the id: the address and body are read and rendered by the
worker, for the channel alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.on_commit import on_commit
from pitstop.messaging import consents, service
from pitstop.messaging.channels import CONSOLE, Channel, address_query, configured_for_customers
from pitstop.messaging.models import PURPOSES
from pitstop.messaging.sending import Available
from pitstop.tenancy.models import TenantPlugin
from pitstop.tenancy.plugin_settings import settings_from_stored
from pitstop.tenancy.sealing import Sealer


class ChannelHost(Protocol):
    """What this module needs of the plugin host."""

    message_sender: Callable[[uuid.UUID, uuid.UUID, int], None] | None

    @property
    def plugins(self) -> Mapping[str, Any]: ...

    async def enabled(self, session: AsyncSession) -> dict[str, TenantPlugin]: ...

    def opened_settings(self, row: TenantPlugin | None) -> dict[str, Any]: ...

    async def context(self, session: AsyncSession, plugin: str, *, row: TenantPlugin) -> Any: ...


Addresser = Callable[[uuid.UUID], Awaitable[str | None]]


def _addresser(
    host: ChannelHost, session: AsyncSession, plugin: str, row: TenantPlugin, channel: Channel
) -> Addresser | None:
    """The channel's ``address`` bound to its plugin's context (built on first use)."""
    query = address_query(channel)
    if query is None:
        return None

    async def address(customer_id: uuid.UUID) -> str | None:
        return await query(await host.context(session, plugin, row=row), customer_id)

    return address


async def channels_for(host: ChannelHost, session: AsyncSession) -> dict[str, Available]:
    """The tenant-in-context's channels, each with its plugin's settings for this tenant."""
    found: dict[str, Available] = {}
    for plugin, row in (await host.enabled(session)).items():
        loaded = host.plugins[plugin]
        for channel in loaded.channels:
            settings = settings_from_stored(loaded.info.settings, host.opened_settings(row))
            address = _addresser(host, session, plugin, row, channel)
            found.setdefault(channel.name, Available(channel, settings, address))
    found.setdefault(CONSOLE.name, Available(CONSOLE))
    return found


def _reaches(entry: Available) -> str:
    return str(getattr(entry.settings, "reaches", None) or entry.channel.reaches)


def pick(
    available: Mapping[str, Available], audience: str, *, private: bool = False
) -> tuple[Channel, str]:
    """A plugin channel that reaches the audience, before the console; with the medium it
    reaches for this tenant (a ``reaches`` setting overrides the adapter's own).
    ``private``: not a broadcast channel (a group chat's robot) - for a person's secret."""
    for name, entry in sorted(available.items()):
        if private and getattr(entry.channel, "broadcast", False):
            continue
        if audience == "customer" and entry.address is not None:
            continue  # reaches only the customers it holds an address for: see pick_customer
        if name != CONSOLE.name and audience in entry.channel.capabilities:
            return entry.channel, _reaches(entry)
    return CONSOLE, CONSOLE.reaches


async def pick_customer(
    session: AsyncSession, available: Mapping[str, Available], request: service.Request
) -> tuple[Channel, str]:
    """A channel with its own address for this customer (a WeCom external contact), whose
    medium the customer's consent allows for the purpose; else :func:`pick`'s choice - or,
    where that is only the console, the tenant's configured address channel (the worker
    then logs ``suppressed:no_address``). Only whether an address exists is asked here: it
    is read again at send time."""
    customer_id = request.customer_id
    for _, entry in sorted(available.items()):
        if entry.address is None or "customer" not in entry.channel.capabilities:
            continue
        if customer_id is None or await entry.address(customer_id) is None:
            continue
        if await consents.allows(session, customer_id, request.purpose, _reaches(entry)):
            return entry.channel, _reaches(entry)
    channel, reaches = pick(available, "customer")
    if channel is CONSOLE:  # the tenant's only customer channel cannot reach this customer:
        for _, entry in sorted(available.items()):  # say so, rather than "delivered"
            if entry.address is not None and configured_for_customers(
                entry.channel, entry.settings
            ):
                return entry.channel, _reaches(entry)
    return channel, reaches


async def notify(
    host: ChannelHost,
    session: AsyncSession,
    request: service.Request,
    *,
    tenant_id: uuid.UUID,
    timezone: str,
    now: dt.datetime,
    private: bool = False,
) -> uuid.UUID:
    audience = "staff" if request.staff_id is not None else "customer"
    available = await channels_for(host, session)
    if audience == "customer" and request.purpose in PURPOSES:  # a bad purpose: 422 below
        channel, reaches = await pick_customer(session, available, request)
    else:
        channel, reaches = pick(available, audience, private=private)
    message, send = await service.enqueue(
        session,
        request,
        channel=channel.name,
        reaches=reaches,
        now=now,
        timezone=timezone,
    )
    sender = host.message_sender
    if send and sender is not None:
        delay = message.send_after - now if message.send_after else dt.timedelta(0)
        delay_ms = max(0, int(delay.total_seconds() * 1000))
        message_id = message.id
        on_commit(session, lambda: sender(tenant_id, message_id, delay_ms))
    return message.id


async def send_staff_secret(
    host: ChannelHost,
    session: AsyncSession,
    request: service.Request,
    *,
    sealer: Sealer | None,
    tenant_id: uuid.UUID,
    timezone: str,
    now: dt.datetime,
) -> str | None:
    """A staff notice carrying a secret (an invite token), only through a real channel.

    With nothing but the console to reach staff, None: the caller shows the secret itself.
    Otherwise the ``token`` is sealed with the tenant's key in the contact log's data (a
    reader of the log or a database dump learns nothing), and the worker opens it for the
    channel alone."""
    channel, _ = pick(await channels_for(host, session), "staff", private=True)
    if channel.name == CONSOLE.name:
        return None
    data = dict(request.data)
    if sealer is not None and isinstance(data.get("token"), str):
        data["token"] = sealer.seal(tenant_id, "token", data["token"])
    await notify(
        host,
        session,
        dataclasses.replace(request, data=data),
        tenant_id=tenant_id,
        timezone=timezone,
        now=now,
        private=True,
    )
    return channel.name
