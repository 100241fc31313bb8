"""``PluginContext``: everything a plugin's code may touch, bound to one tenant.

A plugin never opens sessions, reads settings rows or talks to the broker itself: the
host builds a context for (tenant, plugin) and hands it to every route, subscription,
schedule and task. That is what keeps a plugin inside its tenant (the session is
tenant-scoped and walled) and what lets the host change how things are done underneath.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit, links
from pitstop.access.principal import Principal
from pitstop.db.on_commit import on_commit
from pitstop.events.outbox import append, emit, emit_many
from pitstop.events.types import EventPayloadInvalid
from pitstop.messaging.service import Request
from pitstop.plugin_host import notify
from pitstop.plugin_host.event_types import Loaded, declared_event
from pitstop.plugin_host.session import PluginSession
from pitstop.tenancy.models import TenantPlugin

SettingsT = TypeVar("SettingsT", bound=msgspec.Struct)


class Host(Protocol):
    """What a context needs of :class:`~pitstop.plugin_host.manager.PluginHost`."""

    task_sender: Callable[[uuid.UUID, str, str, dict[str, Any], int], None] | None
    message_sender: Callable[[uuid.UUID, uuid.UUID, int], None] | None
    link_secret: str

    @property
    def plugins(self) -> Mapping[str, Loaded]: ...

    def tasks_of(self, plugin: str) -> Mapping[str, Any]: ...

    async def enabled(self, session: AsyncSession) -> dict[str, TenantPlugin]: ...

    def opened_settings(self, row: TenantPlugin | None) -> dict[str, Any]: ...

    async def context(self, session: AsyncSession, plugin: str, *, row: TenantPlugin) -> Any: ...

    async def customer_attributes(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]: ...


class PluginContext(Generic[SettingsT]):
    """One plugin's view of one tenant, for one transaction.

    Generic over the plugin's settings Struct, so ``ctx.settings`` is typed where a plugin
    says which it is: ``ctx: PluginContext[MembershipSettings]``. The host builds it (the
    constructor is not for plugins); the host itself stays private.
    """

    plugin: str
    tenant_id: uuid.UUID
    session: PluginSession
    settings: SettingsT
    clock: Callable[[], dt.datetime]
    principal: Principal | None
    timezone: str

    def __init__(
        self,
        *,
        plugin: str,
        tenant_id: uuid.UUID,
        session: AsyncSession,
        settings: SettingsT,
        clock: Callable[[], dt.datetime],
        host: Host,
        principal: Principal | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.plugin = plugin
        self.tenant_id = tenant_id
        self.session = PluginSession(session)
        """The host's transaction: reads, writes, savepoints; never commit or rollback."""
        self.settings = settings
        """The tenant's validated settings for this plugin (an instance of its Struct)."""
        self.clock = clock
        self.principal = principal
        """The caller of a route; None in subscriptions, schedules and tasks."""
        self.timezone = timezone
        """The tenant's IANA time zone: where its days, months and birthdays begin."""
        self._session = session
        self._host = host

    def now(self) -> dt.datetime:
        """The injected clock: tests move time instead of sleeping."""
        return self.clock()

    def signed_link(self, purpose: str, subject_id: uuid.UUID, *, valid_for: dt.timedelta) -> str:
        """SDK 1.3: a token for this plugin's ``opt={"link": purpose}`` route, for this
        tenant and ``subject_id``, expiring ``valid_for`` from now (docs/plugins.md,
        "Public links"). Put it in the path: ``/api/v1/<plugin>/.../{token}``."""
        if not self._host.link_secret:
            raise RuntimeError("no secret key to sign links with")
        link = links.Link(self.plugin, purpose, self.tenant_id, subject_id, self.now() + valid_for)
        return links.sign(self._host.link_secret, link)

    def as_of(self, instant: dt.datetime) -> PluginContext[SettingsT]:
        """The same context (session, settings, tenant) with its clock stopped at ``instant``.

        For replaying history through the plugin's own rules - a backfill of past orders,
        demo data that happened days ago - so that what they stamp is dated when it happened.
        """
        return PluginContext(
            plugin=self.plugin,
            tenant_id=self.tenant_id,
            session=self._session,
            settings=self.settings,
            clock=lambda: instant,
            host=self._host,
            principal=self.principal,
            timezone=self.timezone,
        )

    async def emit(self, type: str, payload: Mapping[str, Any] | msgspec.Struct) -> uuid.UUID:
        """Publish an event through the outbox, in this transaction (ids and facts only).

        ``payload`` is checked against the type this plugin declares in
        ``PluginInfo.events`` (an instance of its Struct, or a mapping that converts to
        one): a mismatch raises :class:`~pitstop.sdk.EventPayloadInvalid` here, not in a
        subscriber.
        """
        declared = declared_event(self._host.plugins, self.plugin, type)
        if declared is not None:
            event = await emit(
                self._session, type, payload, declared=declared, occurred_at=self.now()
            )
        elif isinstance(payload, Mapping):  # SDK 1.0's undeclared events, warned above
            event = await append(self._session, type, payload, occurred_at=self.now())
        else:
            raise EventPayloadInvalid(f"event {type}: declare it to emit a Struct payload")
        return event.id

    async def emit_many(
        self, type: str, payloads: Sequence[Mapping[str, Any] | msgspec.Struct]
    ) -> list[uuid.UUID]:
        """Several events of one type this plugin declares, in one write (SDK 1.7): each
        payload checked as :meth:`emit` checks it, the lot one statement rather than one
        each - for a pass that changes many records at once. Returns their ids, in order."""
        declared = declared_event(self._host.plugins, self.plugin, type)
        if declared is None:
            raise EventPayloadInvalid(f"event {type}: declare it to emit it with emit_many")
        events = await emit_many(
            self._session, type, payloads, declared=declared, occurred_at=self.now()
        )
        return [event.id for event in events]

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
            self._session,
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
        if task not in self._host.tasks_of(self.plugin):
            raise KeyError(f"plugin {self.plugin} declares no task {task!r}")
        delay = max(0, int((at - self.now()).total_seconds() * 1000))
        send = self._host.task_sender
        if send is not None:
            on_commit(
                self._session, lambda: send(self.tenant_id, self.plugin, task, arguments, delay)
            )

    async def customer_attributes(self, customer_id: uuid.UUID) -> dict[str, Any]:
        """What the tenant's other enabled plugins say about a customer (e.g. its tier)."""
        return await self._host.customer_attributes(self._session, customer_id=customer_id)

    async def notify(
        self,
        *,
        customer_id: uuid.UUID,
        purpose: str,
        template: str,
        data: Mapping[str, Any] | None = None,
        store_id: uuid.UUID | None = None,
        dedupe_key: str | None = None,
    ) -> uuid.UUID:
        """Queue a message to a customer (SDK 1.2); returns the contact log's message id.

        ``purpose`` is ``service``, ``marketing`` or ``transactional``: it decides consent,
        quiet hours and caps (docs/messaging.md). ``data`` holds the template's variables -
        figures and dates, never the customer's name or phone (the worker adds
        ``customer_name`` at send time). ``dedupe_key`` is this plugin's own: a second call
        with it returns the first message's id. Sent by a worker after commit; a message
        the rules refuse is logged as ``suppressed:<reason>`` and its id returned too.
        """
        request = Request(
            purpose=purpose,
            template=template,
            data=dict(data or {}),
            customer_id=customer_id,
            store_id=store_id,
            dedupe_key=f"{self.plugin}:{dedupe_key}" if dedupe_key else None,
        )
        return await self._notify(request)

    async def notify_staff(
        self, staff_id: uuid.UUID, template: str, data: Mapping[str, Any] | None = None
    ) -> uuid.UUID:
        """Queue a message to a staff member (their membership id), transactional (SDK 1.2)."""
        request = Request(
            purpose="transactional", template=template, data=dict(data or {}), staff_id=staff_id
        )
        return await self._notify(request)

    async def _notify(self, request: Request) -> uuid.UUID:
        return await notify.notify(
            self._host,
            self._session,
            request,
            tenant_id=self.tenant_id,
            timezone=self.timezone,
            now=self.now(),
        )
