"""Running a plugin's subscription for one event: the plugin host's half of delivery.

:mod:`pitstop.events.delivery` owns exactly-once (the locked delivery row, the ``done``
mark, retries) and knows nothing of plugins; this module knows which plugin handles which
event type, whether the tenant has it on, and how to build its context. The worker joins
the two (``functools.partial(run_subscription, host)``). The worker's fast path
(:mod:`pitstop.events.backlog`) reads the tenant's enabled plugins once for a batch and
calls :func:`run_enabled` for each delivery.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.events.models import OutboxEvent
from pitstop.plugin_host.manager import PluginHost
from pitstop.plugin_host.types import Event
from pitstop.tenancy.models import TenantPlugin


async def run_subscription(
    host: PluginHost, session: AsyncSession, plugin: str, event: OutboxEvent
) -> bool:
    """Call ``plugin``'s handler for ``event``; False (nothing run) when the plugin is
    uninstalled, off for the event's tenant, or no longer subscribes to its type."""
    row = await session.scalar(
        select(TenantPlugin).where(TenantPlugin.plugin == plugin, TenantPlugin.enabled)
    )
    return row is not None and await run_enabled(host, session, plugin, row, event)


async def run_enabled(
    host: PluginHost, session: AsyncSession, plugin: str, row: object, event: OutboxEvent
) -> bool:
    """Call ``plugin``'s handler for ``event``, ``row`` being the tenant's enabled
    ``TenantPlugin`` row for it, read in this transaction; False when nothing ran."""
    loaded = host.plugins.get(plugin)
    if loaded is None or not isinstance(row, TenantPlugin):
        return False
    handler = loaded.subscriptions.get(event.type)
    if handler is None:
        return False
    ctx = await host.context(session, plugin, row=row)
    payload = dict(event.payload)
    await handler(ctx, Event(event.id, event.type, event.tenant_id, event.occurred_at, payload))
    return True
