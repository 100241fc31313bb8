"""Plugin commands: ``pitstop <plugin> <command>``, and the one way they reach tenant data.

A command is operator work that belongs to no request (a backfill after a shop turns a
plugin on). It gets no session and no tenant of its own: :func:`for_each_tenant` runs its
coroutine for one tenant at a time, inside that tenant's scope and one transaction, with
the same :class:`PluginContext` a schedule gets. So the walls hold for commands exactly as
for routes and jobs, and a failure in one tenant leaves the tenants already done committed.

Tenants are listed from the platform's ``tenants`` table (no tenant data); whether a tenant
enabled the plugin is then read inside that tenant's own scope, so no cross-tenant query
is needed at all. The sessions and plugins a command runs on are handed in by the
``pitstop`` command as click's ``obj`` (:class:`CommandServices`), never looked up.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

import click
from sqlalchemy import select

from pitstop.access.audit import acting_as
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.plugin_host.context import PluginContext
from pitstop.plugin_host.manager import PluginHost
from pitstop.tenancy.models import Tenant, TenantPlugin, TenantStatus

T = TypeVar("T")
Work = Callable[[PluginContext], Awaitable[T]]


class CommandError(click.ClickException):
    """A command cannot do what it was asked (unknown tenant, plugin off): one line, exit 1."""


@runtime_checkable
class CommandServices(Protocol):
    """What plugin commands run on: the ``pitstop`` command puts one in click's ``obj``
    before a plugin's group runs (a test hands in its own, with its clock and database)."""

    @property
    def sessions(self) -> SessionFactory: ...

    @property
    def plugins(self) -> PluginHost: ...


def plugin_groups(
    host: PluginHost, reserved: frozenset[str], *, prepare: Callable[..., Any] | None = None
) -> Mapping[str, click.Group]:
    """A ``pitstop <plugin>`` group for every loaded plugin that declares commands.

    A plugin whose name is a core command's (``pitstop tenants``) would hide it or be
    hidden by it; it is refused here, loudly, rather than one of them silently vanishing.
    ``prepare`` is each group's callback: it runs before the command, and is where the
    ``pitstop`` command provides the :class:`CommandServices`.
    """
    groups = {}
    for name, loaded in sorted(host.plugins.items()):
        if not loaded.commands:
            continue
        if name in reserved:
            raise CommandError(f"plugin {name}: its commands would hide `pitstop {name}`")
        group = click.Group(
            name=name, help=f"{loaded.info.title} (plugin {name}).", callback=prepare
        )
        for command in loaded.commands:
            group.add_command(command)
        groups[name] = group
    return groups


def for_each_tenant(
    plugin: str, work: Work[T], *, tenant: str | None = None
) -> Iterator[tuple[str, T]]:
    """Run ``work(ctx)`` for each active tenant that enabled ``plugin``, one at a time.

    ``tenant`` (a slug) narrows the run to that tenant, and it is an error when the tenant
    does not exist, is not active or has not enabled the plugin. Each tenant's run is one
    transaction in its own tenant scope, committed before the next tenant starts; yields
    ``(slug, result)`` after each commit, in slug order, so a command can print as it goes.
    Audit entries written by ``work`` name the command as their actor.
    """
    services = _services()
    actor = _command_path()
    with asyncio.Runner() as runner:
        for slug, tenant_id in runner.run(_targets(services, plugin, tenant)):
            with acting_as("command", None, command=actor):
                result = runner.run(_run_in(services, plugin, tenant_id, work))
            yield slug, result


def _services() -> CommandServices:
    context = click.get_current_context(silent=True)
    services = context.obj if context is not None else None  # a sub-command inherits it
    if not isinstance(services, CommandServices):
        raise CommandError("plugin commands run as `pitstop <plugin> <command>`")
    return services


def _command_path() -> str:
    context = click.get_current_context(silent=True)
    return context.command_path if context is not None else "pitstop"


async def _targets(
    services: CommandServices, plugin: str, slug: str | None
) -> list[tuple[str, uuid.UUID]]:
    if plugin not in services.plugins.plugins:
        raise CommandError(f"plugin {plugin} is not installed (or is blocked)")
    statement = select(Tenant.slug, Tenant.id, Tenant.status).order_by(Tenant.slug)
    if slug is not None:
        statement = statement.where(Tenant.slug == slug)
    async with services.sessions() as session:
        tenants = (await session.execute(statement)).all()
    if slug is not None and not tenants:
        raise CommandError(f"no tenant {slug!r}")
    chosen = []
    for found, tenant_id, status in tenants:
        problem = None if status == TenantStatus.active else f"is {status}"
        if problem is None and not await _enabled(services.sessions, plugin, tenant_id):
            problem = f"has not enabled {plugin}"
        if problem is None:
            chosen.append((found, tenant_id))
        elif slug is not None:
            raise CommandError(f"tenant {found} {problem}")
    return chosen


async def _enabled(sessions: SessionFactory, plugin: str, tenant_id: uuid.UUID) -> bool:
    with tenant_scope(tenant_id):
        async with sessions() as session:
            statement = select(TenantPlugin.enabled).where(TenantPlugin.plugin == plugin)
            return bool(await session.scalar(statement))


async def _run_in(services: CommandServices, plugin: str, tenant_id: uuid.UUID, work: Work[T]) -> T:
    with tenant_scope(tenant_id):
        async with services.sessions() as session, session.begin():
            ctx = await services.plugins.context(session, plugin)
            return await work(ctx)
