"""The plugin host: loads plugins through pluggy and calls them for the tenant in context.

One host per runtime (never module-global), so a plugin a test
registers dies with that test's runtime. Plugins come from the ``pitstop`` entry-point
group, narrowed by ``PITSTOP_PLUGINS`` (allow-list) and ``PITSTOP_PLUGINS_BLOCKED``.
A plugin is refused, loudly, when it lacks ``plugin_info``, implements a hook that does
not exist (a misspelling would otherwise be silently ignored), wants an SDK range this
core does not satisfy, or depends on a plugin that is not installed.
"""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import Permission
from pitstop.db.base import utcnow
from pitstop.hooks import specs
from pitstop.hooks.context import PluginContext
from pitstop.hooks.settings import settings_from_stored
from pitstop.hooks.types import SDK_VERSION, EventHandler, PluginInfo, Schedule, Section
from pitstop.identity.principal import Principal
from pitstop.tenancy.context import current_tenant_id
from pitstop.tenancy.models import Tenant, TenantPlugin

ENTRY_POINT_GROUP = "pitstop"
TaskSender = Callable[[uuid.UUID, str, str, dict[str, Any], int], None]


class PluginRefused(RuntimeError):
    """A plugin cannot be loaded; the message says which and why, on one line."""


@dataclass
class LoadedPlugin:
    info: PluginInfo
    module: object
    routes: list[Any] = field(default_factory=list)
    subscriptions: dict[str, EventHandler] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    tasks: dict[str, Any] = field(default_factory=dict)
    commands: list[click.Command] = field(default_factory=list)
    migrations: Path | None = None

    @property
    def name(self) -> str:
        return self.info.name


def _single(plugin: object, hook: str) -> Any:
    """Call one plugin's implementation of a static hook (None when it has none)."""
    function = getattr(plugin, hook, None)
    return None if function is None else function()


class PluginHost:
    def __init__(
        self,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        task_sender: TaskSender | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager(specs.PROJECT)
        self.pm.add_hookspecs(specs)
        self.plugins: dict[str, LoadedPlugin] = {}
        self.clock = clock
        self.task_sender = task_sender
        """Sends a plugin's deferred task to the broker; None where nothing may be sent
        (``pitstop plugins list``, ``pitstop permissions``)."""

    # -- loading -------------------------------------------------------------------------

    @classmethod
    def from_entry_points(
        cls,
        allow: Sequence[str] | None = None,
        blocked: Sequence[str] = (),
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        task_sender: TaskSender | None = None,
    ) -> PluginHost:
        host = cls(clock=clock, task_sender=task_sender)
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
        info = _single(plugin, "plugin_info")
        label = expected_name or getattr(plugin, "__name__", repr(plugin))
        if not isinstance(info, PluginInfo):
            raise PluginRefused(f"plugin {label}: plugin_info() must return a PluginInfo")
        if expected_name is not None and info.name != expected_name:
            raise PluginRefused(f"plugin {label}: plugin_info() names it {info.name!r}")
        if info.name in self.plugins:
            raise PluginRefused(f"plugin {info.name}: registered twice")
        _check_sdk(info)
        self.pm.register(plugin, name=info.name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=info.name)
            raise PluginRefused(f"plugin {info.name}: {exc}") from None
        loaded = LoadedPlugin(
            info=info,
            module=plugin,
            routes=list(_single(plugin, "routes") or ()),
            subscriptions=dict(_single(plugin, "subscriptions") or {}),
            schedules=list(_single(plugin, "schedules") or ()),
            tasks=dict(_single(plugin, "tasks") or {}),
            commands=_commands(info.name, _single(plugin, "commands")),
            migrations=_single(plugin, "migrations"),
        )
        self.plugins[info.name] = loaded
        return loaded

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
        """The tenant-in-context's enabled, installed plugins (one query)."""
        rows = (await session.scalars(select(TenantPlugin).where(TenantPlugin.enabled))).all()
        return {r.plugin: r for r in rows if r.plugin in self.plugins}

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
        tenant = await session.get(Tenant, tenant_id)  # identity-mapped after the first
        return PluginContext(
            plugin=plugin,
            tenant_id=tenant_id,
            session=session,
            settings=settings_from_stored(info.settings, row.settings if row else {}),
            clock=self.clock,
            host=self,
            principal=principal,
            timezone=tenant.timezone if tenant is not None else "Asia/Shanghai",
        )

    async def call_one(self, plugin: str, hook: str, ctx: PluginContext, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a per-tenant hook (None if it has none)."""
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin_name == plugin:
                return await _invoke(impl, {"ctx": ctx, **kwargs})
        return None

    async def call_each(
        self, hook: str, session: AsyncSession, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call ``hook`` on every plugin the tenant enabled, each with its own context."""
        enabled = await self.enabled(session)
        results = []
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            row = enabled.get(impl.plugin_name)
            if row is None:
                continue
            ctx = await self.context(session, impl.plugin_name, row=row)
            results.append((impl.plugin_name, await _invoke(impl, {"ctx": ctx, **kwargs})))
        return results

    async def customer_sections(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> list[Section]:
        sections = []
        for plugin, section in await self.call_each(
            "customer_summary", session, customer_id=customer_id
        ):
            if section is not None:
                section.plugin = plugin
                sections.append(section)
        return sections

    async def customer_attributes(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for _, attributes in await self.call_each(
            "customer_attributes", session, customer_id=customer_id
        ):
            merged.update(attributes or {})
        return merged

    async def export_customer(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]:
        results = await self.call_each("export_customer", session, customer_id=customer_id)
        return {plugin: data for plugin, data in results if data is not None}

    async def erase_customer(self, session: AsyncSession, *, customer_id: uuid.UUID) -> None:
        await self.call_each("erase_customer", session, customer_id=customer_id)


async def _invoke(impl: pluggy.HookImpl, arguments: dict[str, Any]) -> Any:
    """Keyword arguments only, and only those the implementation asks for (pluggy's rule)."""
    result = impl.function(**{a: arguments[a] for a in impl.argnames})
    return await result if inspect.isawaitable(result) else result


def _commands(plugin: str, given: Any) -> list[click.Command]:
    """A plugin's CLI commands; anything that is not a named click command is refused."""
    commands = list(given or ())
    for command in commands:
        if not isinstance(command, click.Command) or not command.name:
            raise PluginRefused(f"plugin {plugin}: commands() must return named click commands")
    names = [c.name for c in commands]
    if len(set(names)) != len(names):
        raise PluginRefused(f"plugin {plugin}: commands() names a command twice")
    return commands


def _check_sdk(info: PluginInfo) -> None:
    try:
        wanted = SpecifierSet(info.sdk)
    except InvalidSpecifier:
        raise PluginRefused(f"plugin {info.name}: sdk range {info.sdk!r} is not valid") from None
    if not wanted.contains(SDK_VERSION, prereleases=True):
        raise PluginRefused(
            f"plugin {info.name} needs Pitstop SDK {info.sdk}; this Pitstop provides"
            f" SDK {SDK_VERSION}"
        )
