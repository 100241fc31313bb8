"""The plugin host: loads plugins through pluggy and calls them for the tenant in context.

One host per runtime (never module-global), so a plugin a test registers dies with that
test's runtime. Plugins come from the ``pitstop`` entry-point group, narrowed by
``PITSTOP_PLUGINS`` (allow-list) and ``PITSTOP_PLUGINS_BLOCKED``. A plugin is refused,
loudly, when it lacks ``plugin_info``, implements a hook that does not exist (a misspelling
would otherwise be silently ignored), wants an SDK range this core does not satisfy, or
depends on a plugin that is not installed.

Every hook is called through pluggy, one plugin at a time, with that plugin's own caller
(``subset_hook_caller`` minus every other plugin; see :mod:`pitstop.plugin_host.calls` for why
not one call for all). Static hooks (``specs.STATIC_HOOKS``) are asked once, at
registration. Per-tenant hooks (``specs.PER_TENANT_HOOKS``) are called, in pluggy's order,
for each plugin the tenant in context enabled, each with a :class:`PluginContext` holding
that plugin's name and that tenant's settings for it: the host decides who is called, the
plugin's own caller does the calling.

Failures are split by what the caller can live without:

* Read-side hooks (``customer_summary``, ``customer_attributes``, ``kpis``,
  ``customer_panels``) are isolated (:mod:`.isolation`): one that raises leaves
  ``error="unavailable"`` (or ``<plugin>.error``) in its own place plus one log line (the
  plugin, the exception type): the page still answers 200 with everyone else's parts.
* Write-side hooks (``on_tenant_enabled``, ``export_customer``, ``erase_customer``,
  ``demo_data``) fail loudly and roll the whole request back: an erasure that skipped one
  plugin would report a customer erased whose data is still held (a PIPL/GDPR breach), an
  export missing a plugin answers a data-subject request wrongly, and a plugin switched on
  without its set-up would run on rows it never seeded. A retry is better than a lie.
"""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import Permission
from pitstop.access.principal import Principal
from pitstop.crm.discounts import DiscountOffer
from pitstop.crm.models import ServiceOrder
from pitstop.db.base import utcnow
from pitstop.db.tenant_context import current_tenant_id
from pitstop.events.types import UndeclaredEvent
from pitstop.insights.schemas import KpiTile
from pitstop.messaging.service import Request, last_contacts
from pitstop.plugin_host import attributes as facts
from pitstop.plugin_host import isolation, notify, offers, specs
from pitstop.plugin_host.calls import PluginCallers, trace_hook_calls
from pitstop.plugin_host.console_hooks import CustomerPanel
from pitstop.plugin_host.context import PluginContext
from pitstop.plugin_host.event_types import catalog_of
from pitstop.plugin_host.loading import (
    LoadedPlugin,
    PluginRefused,
    check_sdk,
    checked_commands,
    introduce,
)
from pitstop.plugin_host.types import PluginInfo, Section
from pitstop.tenancy.models import Tenant, TenantPlugin
from pitstop.tenancy.periods import Period
from pitstop.tenancy.plugin_settings import settings_from_stored
from pitstop.tenancy.sealing import Sealer

ENTRY_POINT_GROUP = "pitstop"
_TENANTS_HELD = "pitstop_tenants_held"
"""``session.info`` key: the tenant rows plugin contexts were built from (see ``context``)."""
log = structlog.get_logger("pitstop.plugins")
TaskSender = Callable[[uuid.UUID, str, str, dict[str, Any], int], None]
MessageSender = Callable[[uuid.UUID, uuid.UUID, int], None]


class PluginHost:
    def __init__(
        self,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        task_sender: TaskSender | None = None,
        message_sender: MessageSender | None = None,
        trace: bool = False,
        sealer: Sealer | None = None,
        link_secret: str = "",
    ) -> None:
        self.pm = pluggy.PluginManager(specs.PROJECT)
        self.pm.add_hookspecs(specs)
        self.plugins: dict[str, LoadedPlugin] = {}
        self.callers = PluginCallers(self.pm, lambda: list(self.plugins))
        self.clock = clock
        self.task_sender = task_sender
        """Sends a plugin's deferred task to the broker; None where nothing may be sent
        (``pitstop plugins list``, ``pitstop permissions``)."""
        self.message_sender = message_sender
        """Tells a worker to send a queued message (``ctx.notify``), after commit."""
        self.sealer = sealer
        """Seals write-only settings at rest (``pitstop.tenancy.sealing``); None where no
        settings are read or written (``pitstop plugins list``)."""
        self.link_secret = link_secret
        """Signs plugins' public links (``ctx.signed_link``); empty where none are made."""
        if trace:
            trace_hook_calls(self.pm)

    # -- loading -------------------------------------------------------------------------

    @classmethod
    def from_entry_points(
        cls,
        allow: Sequence[str] | None = None,
        blocked: Sequence[str] = (),
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        task_sender: TaskSender | None = None,
        message_sender: MessageSender | None = None,
        trace: bool = False,
        sealer: Sealer | None = None,
        link_secret: str = "",
    ) -> PluginHost:
        host = cls(
            clock=clock,
            task_sender=task_sender,
            message_sender=message_sender,
            trace=trace,
            sealer=sealer,
            link_secret=link_secret,
        )
        for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if entry.name in blocked or (allow is not None and entry.name not in allow):
                continue
            try:
                module = entry.load()
            except Exception as exc:
                raise PluginRefused(f"plugin {entry.name}: cannot import ({exc})") from exc
            host.register(module, expected_name=entry.name)
        missing = sorted(set(allow or ()) - set(host.plugins) - set(blocked))
        if missing:
            raise PluginRefused(f"PITSTOP_PLUGINS names plugins not installed: {missing}")
        host.check_dependencies()
        return host

    def register(self, plugin: object, *, expected_name: str | None = None) -> LoadedPlugin:
        label = str(expected_name or getattr(plugin, "__name__", repr(plugin)))
        info = introduce(plugin, label)
        if not isinstance(info, PluginInfo):
            raise PluginRefused(f"plugin {label}: plugin_info() must return a PluginInfo")
        if expected_name is not None and info.name != expected_name:
            raise PluginRefused(f"plugin {label}: plugin_info() names it {info.name!r}")
        if info.name in self.plugins:
            raise PluginRefused(f"plugin {info.name}: registered twice")
        check_sdk(info)
        self._join(plugin, info.name)
        try:
            loaded = self._load(plugin, info)
        except BaseException:
            self._leave(info.name)
            raise
        self.plugins[info.name] = loaded
        self.callers.forget()
        try:
            catalog_of(self.plugins)  # one emitter per event type, checked at load
        except UndeclaredEvent as exc:
            del self.plugins[info.name]
            self._leave(info.name)
            raise PluginRefused(f"plugin {info.name}: {exc}") from None
        return loaded

    def _join(self, plugin: object, name: str) -> None:
        """Register with pluggy (which checks every hookimpl against its spec); the SDK's
        deprecation warnings are also logged, since servers do not show DeprecationWarning."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", specs.SdkDeprecationWarning)
            try:
                self.pm.register(plugin, name=name)
            except pluggy.PluginValidationError as exc:
                raise PluginRefused(f"plugin {name}: {exc}") from None
        self.callers.forget()  # every cached subset caller would now include the newcomer
        for warning in caught:
            if issubclass(warning.category, specs.SdkDeprecationWarning):
                log.warning("plugin_uses_deprecated_sdk", plugin=name, detail=str(warning.message))
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self._leave(name)
            raise PluginRefused(f"plugin {name}: {exc}") from None

    def _leave(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.callers.forget()

    def _load(self, plugin: object, info: PluginInfo) -> LoadedPlugin:
        """Ask the static hooks once, each through the plugin's own caller."""
        name, static = info.name, self.callers.static
        return LoadedPlugin(
            info=info,
            module=plugin,
            routes=list(static("routes", name) or ()),
            subscriptions=dict(static("subscriptions", name) or {}),
            schedules=list(static("schedules", name) or ()),
            tasks=dict(static("tasks", name) or {}),
            commands=checked_commands(name, static("commands", name)),
            migrations=static("migrations", name),
            channels=list(static("channels", name) or ()),
            console=static("console_pages", name),
        )

    def check_dependencies(self) -> None:
        for loaded in self.plugins.values():
            missing = [d for d in loaded.info.depends_on if d not in self.plugins]
            if missing:
                raise PluginRefused(f"plugin {loaded.name}: depends on {missing}, not installed")

    # -- static facts --------------------------------------------------------------------

    def permissions(self) -> list[Permission]:
        return [p for loaded in self.plugins.values() for p in loaded.info.permissions]

    def migration_dirs(self) -> list[Path]:
        return [p.migrations for p in self.plugins.values() if p.migrations is not None]

    def subscribers(self, event_type: str) -> list[str]:
        return sorted(n for n, p in self.plugins.items() if event_type in p.subscriptions)

    def tasks_of(self, plugin: str) -> Mapping[str, Any]:
        return self.plugins[plugin].tasks

    # -- per tenant ----------------------------------------------------------------------

    async def enabled(self, session: AsyncSession) -> dict[str, TenantPlugin]:
        """The tenant-in-context's enabled, installed plugins (one query, which also reads
        the tenant row their contexts need: see ``context``)."""
        statement = (
            select(TenantPlugin, Tenant)
            .join(Tenant, Tenant.id == TenantPlugin.tenant_id)
            .where(TenantPlugin.enabled)
        )
        rows = (await session.execute(statement)).all()
        for _, tenant in rows[:1]:
            session.info.setdefault(_TENANTS_HELD, {})[tenant.id] = tenant
        return {row.plugin: row for row, _ in rows if row.plugin in self.plugins}

    def opened_settings(self, row: TenantPlugin | None) -> dict[str, Any]:
        """The row's settings with its sealed secrets opened: for the plugin, never the API."""
        stored = dict(row.settings or {}) if row is not None else {}
        if row is None or self.sealer is None:
            return stored
        return self.sealer.open_all(row.tenant_id, stored)

    async def context(
        self,
        session: AsyncSession,
        plugin: str,
        *,
        principal: Principal | None = None,
        row: TenantPlugin | None = None,
    ) -> PluginContext:
        if row is None:
            row = (
                await session.scalars(select(TenantPlugin).where(TenantPlugin.plugin == plugin))
            ).one_or_none()
        info = self.plugins[plugin].info
        tenant_id = row.tenant_id if row is not None else current_tenant_id()
        tenant = await session.get(Tenant, tenant_id)
        # The identity map holds rows weakly: held here for the session's life, so the
        # next context of a batch or of ``call_each`` finds it without a query.
        session.info.setdefault(_TENANTS_HELD, {})[tenant_id] = tenant
        return PluginContext(
            plugin=plugin,
            tenant_id=tenant_id,
            session=session,
            settings=settings_from_stored(info.settings, self.opened_settings(row)),
            clock=self.clock,
            host=self,
            principal=principal,
            timezone=tenant.timezone if tenant is not None else "Asia/Shanghai",
        )

    async def call_one(self, plugin: str, hook: str, ctx: PluginContext, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a per-tenant hook (None if it has none)."""
        _per_tenant(hook)
        return await self.callers.call(hook, plugin, ctx=ctx, **kwargs)

    async def call_each(
        self, hook: str, session: AsyncSession, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call ``hook`` on every plugin the tenant enabled, each with its own context;
        the first exception propagates (the write-side rule)."""
        return [
            (plugin, await self.callers.call(hook, plugin, ctx=ctx, **kwargs))
            for plugin, ctx in await self._contexts(hook, session)
        ]

    async def _contexts(
        self, hook: str, session: AsyncSession, principal: Principal | None = None
    ) -> list[tuple[str, PluginContext]]:
        _per_tenant(hook)
        enabled = await self.enabled(session)
        return [
            (plugin, await self.context(session, plugin, principal=principal, row=enabled[plugin]))
            for plugin in self.callers.order(hook)
            if plugin in enabled
        ]

    async def _isolated(
        self, hook: str, session: AsyncSession, principal: Principal | None = None, **kwargs: Any
    ) -> list[tuple[str, Any, bool]]:
        """Like :meth:`call_each` for read-side hooks, each failure kept to its plugin's own
        place (:mod:`pitstop.plugin_host.isolation`): ``(plugin, answer, failed)``."""
        contexts = await self._contexts(hook, session, principal)
        return await isolation.call_isolated(self.callers, hook, session, contexts, kwargs)

    async def customer_sections(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> list[Section]:
        """The profile's plugin sections; a failing plugin's is its title and the marker.
        Last, the contact log's latest entries, when there are any."""
        answers = await self._isolated("customer_summary", session, customer_id=customer_id)
        sections = isolation.panels(self.plugins, "customer_summary", Section, answers)
        contacts = await last_contacts(session, customer_id)
        if contacts:
            title = "Last contacts"  # the console words it by its catalog (console.figures)
            sections.append(Section(title=title, data={"contacts": contacts}, plugin="messaging"))
        return sections

    async def send_staff_secret(
        self, session: AsyncSession, staff_id: uuid.UUID, template: str, data: Mapping[str, Any]
    ) -> str | None:
        """Identity's :class:`~pitstop.identity.notices.StaffNotices`: an invite by channel."""
        tenant_id = current_tenant_id()
        tenant = await session.get(Tenant, tenant_id)
        request = Request(
            purpose="transactional", template=template, data=dict(data), staff_id=staff_id
        )
        return await notify.send_staff_secret(
            self,
            session,
            request,
            sealer=self.sealer,
            tenant_id=tenant_id,
            timezone=tenant.timezone if tenant is not None else "Asia/Shanghai",
            now=self.clock(),
        )

    async def customer_panels(
        self, session: AsyncSession, *, customer_id: uuid.UUID, principal: Principal
    ) -> list[CustomerPanel]:
        """The console's 360° panels, isolated like the sections."""
        answers = await self._isolated(
            "customer_panels", session, principal, customer_id=customer_id
        )
        return isolation.panels(self.plugins, "customer_panels", CustomerPanel, answers)

    async def customer_attributes(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]:
        """Every enabled plugin's facts, under its own name (see ``plugin_host.attributes``)."""
        merged = await facts.core_attributes(session, customer_id)
        for plugin, answer, failed in await self._isolated(
            "customer_attributes", session, customer_id=customer_id
        ):
            merged.update(facts.unavailable(plugin) if failed else facts.namespaced(plugin, answer))
        return merged

    async def attribute_filter(self, session: AsyncSession, *, name: str, value: str) -> list[Any]:
        """Every enabled plugin's customer-id select for ``name = value`` (write-side rule:
        a plugin that fails fails the list - dropping its filter would widen the answer)."""
        answers = await self.call_each("customer_filter", session, name=name, value=value)
        return [answer for _, answer in answers if answer is not None]

    async def kpi_tiles(
        self,
        session: AsyncSession,
        *,
        period: Period,
        store_id: uuid.UUID | None,
        principal: Principal,
    ) -> list[KpiTile]:
        """The board's plugin tiles, computed with the caller as ``ctx.principal``."""
        answers = await self._isolated("kpis", session, principal, period=period, store_id=store_id)
        return isolation.panels(self.plugins, "kpis", KpiTile, answers)

    async def export_customer(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]:
        results = await self.call_each("export_customer", session, customer_id=customer_id)
        return {plugin: data for plugin, data in results if data is not None}

    async def erase_customer(self, session: AsyncSession, *, customer_id: uuid.UUID) -> None:
        await self.call_each("erase_customer", session, customer_id=customer_id)

    async def redeem_code(
        self, session: AsyncSession, *, order: ServiceOrder, code: str, principal: Principal
    ) -> DiscountOffer | None:
        """The first enabled plugin's offer for a code (:func:`.offers.first_offer`)."""
        return await offers.first_offer(self, session, order, code, principal)


def _per_tenant(hook: str) -> None:
    if hook not in specs.PER_TENANT_HOOKS:
        raise ValueError(f"{hook} is not a per-tenant hook (see specs.PER_TENANT_HOOKS)")
