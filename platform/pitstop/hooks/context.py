"""``PluginContext``: everything a plugin's code may touch, bound to one tenant.

A plugin never opens sessions, reads settings rows or talks to the broker itself: the
host builds a context for (tenant, plugin) and hands it to every route, subscription,
schedule and task. That is what keeps a plugin inside its tenant (the session is
tenant-scoped and walled) and what lets the host change how things are done underneath.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit
from pitstop.access.principal import Principal
from pitstop.db.on_commit import on_commit
from pitstop.events.outbox import emit


class Host(Protocol):
    """What a context needs of :class:`~pitstop.hooks.manager.PluginHost`."""

    task_sender: Callable[[uuid.UUID, str, str, dict[str, Any], int], None] | None

    def tasks_of(self, plugin: str) -> Mapping[str, Any]: ...

    async def customer_attributes(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]: ...


@dataclass
class PluginContext:
    plugin: str
    tenant_id: uuid.UUID
    session: AsyncSession
    settings: Any
    """The tenant's validated settings for this plugin (an instance of its Struct)."""
    clock: Callable[[], dt.datetime]
    host: Host
    principal: Principal | None = None
    """The caller of a route; None in subscriptions, schedules and tasks."""
    timezone: str = "Asia/Shanghai"
    """The tenant's IANA time zone: where its days, months and birthdays begin."""

    def now(self) -> dt.datetime:
        """The injected clock: tests move time instead of sleeping."""
        return self.clock()

    def as_of(self, instant: dt.datetime) -> PluginContext:
        """The same context (session, settings, tenant) with its clock stopped at ``instant``.

        For replaying history through the plugin's own rules - a backfill of past orders,
        demo data that happened days ago - so that what they stamp is dated when it happened.
        """
        return replace(self, clock=lambda: instant)

    async def emit(self, type: str, payload: Mapping[str, Any]) -> uuid.UUID:
        """Publish an event through the outbox, in this transaction (ids and facts only)."""
        event = await emit(self.session, type, payload, occurred_at=self.now())
        return event.id

    async def audit(
        self,
        action: str,
        *,
        resource: str,
        resource_id: str | uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append to the tenant's audit log; the actor is whoever made the request.
        ``action`` is the plugin's own, ``<plugin>.<verb>`` (docs/audit.md)."""
        await audit.record_for_plugin(
            self.session,
            self.plugin,
            action,
            resource=resource,
            resource_id=resource_id,
            detail=detail,
        )

    def defer(self, task: str, *, at: dt.datetime, **arguments: Any) -> None:
        """Run this plugin's task ``task`` at ``at`` (a delayed message, sent after commit).

        Arguments must be JSON values (ids as strings); they travel through the broker.
        """
        if task not in self.host.tasks_of(self.plugin):
            raise KeyError(f"plugin {self.plugin} declares no task {task!r}")
        delay = max(0, int((at - self.now()).total_seconds() * 1000))
        send = self.host.task_sender
        if send is not None:
            on_commit(
                self.session, lambda: send(self.tenant_id, self.plugin, task, arguments, delay)
            )

    async def customer_attributes(self, customer_id: uuid.UUID) -> dict[str, Any]:
        """What the tenant's other enabled plugins say about a customer (e.g. its tier)."""
        return await self.host.customer_attributes(self.session, customer_id=customer_id)
