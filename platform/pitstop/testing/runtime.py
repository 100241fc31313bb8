"""Everything the kit asks of the core's assembly, in one place.

The kit sits in the assembly layer: it builds a runtime the way ``pitstop serve`` does and
runs messages the way ``pitstop worker`` does, through the same core functions. Keeping
those calls here keeps the rest of the kit (and every partner's test) unaware of how the
core is wired.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from functools import partial
from typing import Any

from click.testing import CliRunner, Result
from litestar import Litestar

from pitstop.clock import SettableClock
from pitstop.db.tenant_context import tenant_scope
from pitstop.events import backlog, delivery
from pitstop.events.delivery import MAX_ATTEMPTS
from pitstop.identity.refresh import open_session
from pitstop.identity.tokens import membership_claims
from pitstop.plugin_host.commands import plugin_groups
from pitstop.plugin_host.subscriptions import run_enabled, run_subscription
from pitstop.runtime import Runtime
from pitstop.sdk import PluginContext
from pitstop.settings import Settings
from pitstop.tenant_manifests import provision
from pitstop.testing.apps import APPS
from pitstop.testing.clock import Clock
from pitstop.testing.pool import HomeLoopPool
from pitstop.testing.queue import KitBroker, Pending
from pitstop.worker import actors
from pitstop.worker.dispatch import (
    DELIVER,
    PUBLISH,
    RUN_SCHEDULE,
    RUN_TASK,
    SEND_MESSAGE,
    TENANT_OPTION,
)
from pitstop.worker.messages import MAX_SENDS, send_message

RETRIES = {
    PUBLISH: 20,
    DELIVER: MAX_ATTEMPTS - 1,
    RUN_TASK: 5,
    RUN_SCHEDULE: 0,
    SEND_MESSAGE: MAX_SENDS,
}
"""How often the worker retries each actor's message (pitstop.worker.actors)."""


def build_runtime(
    settings: Settings, plugins: Sequence[object], clock: Clock, broker: KitBroker
) -> Runtime:
    """The only place the kit constructs the core's runtime: whole, with its clock."""
    runtime = Runtime.build(
        settings,
        broker,
        extra_plugins=plugins,
        installed_plugins=False,
        clock=SettableClock(clock),
        # Connections are kept for the test's own loop only (the test client runs there).
        poolclass=HomeLoopPool,
    )
    runtime.plugins.check_dependencies()
    return runtime


def leased_app(runtime: Runtime) -> AbstractContextManager[Litestar]:
    """The app serving ``runtime``, shared with earlier tests of the same plugin set
    (:mod:`pitstop.testing.apps`)."""
    return APPS.lease(runtime)


def migration_dirs(runtime: Runtime) -> list[Any]:
    return runtime.plugins.migration_dirs()


async def provision_directory(runtime: Runtime, directory: Any) -> None:
    """Apply tenant manifests exactly as ``pitstop tenants apply`` does."""
    await provision(runtime, directory, apply=True)


async def mint_access_token(runtime: Runtime, tenant_id: uuid.UUID, email: str) -> str:
    """A login session for a staff member, opened as a login opens it, minus the password
    check (no argon2): the claims are read from the membership the tenant holds."""
    from pitstop.identity.models import User
    from pitstop.identity.staff import membership_of

    async with runtime.sessions() as session:
        with tenant_scope(tenant_id):
            membership = await membership_of(session, email)
            user = None if membership is None else await session.get(User, membership.user_id)
            if membership is None or user is None or not membership.can_act:
                raise LookupError(f"no active staff member {email} in the kit's tenant")
            claims = membership_claims(user.id, membership, user.credentials_epoch)
    issued = await open_session(
        claims, sessions=runtime.sessions, settings=runtime.settings, now=runtime.clock()
    )
    return issued.access_token


@asynccontextmanager
async def plugin_context(
    runtime: Runtime, tenant_id: uuid.UUID, plugin: str
) -> AsyncIterator[PluginContext]:
    """The context a worker hands a schedule or task: one transaction, committed at exit."""
    with tenant_scope(tenant_id):
        async with runtime.sessions() as session, session.begin():
            yield await runtime.plugins.context(session, plugin)


def send_schedule(runtime: Runtime, tenant_id: uuid.UUID, plugin: str, schedule: str) -> None:
    """What the scheduler sends when a schedule comes due for a tenant."""
    names = [s.name for s in runtime.plugins.plugins[plugin].schedules]
    if schedule not in names:
        raise LookupError(f"plugin {plugin} has no schedule {schedule!r} (it has {names})")
    runtime.dispatch.schedule(tenant_id, plugin, schedule)


async def run_message(runtime: Runtime, pending: Pending) -> str | None:
    """Run one message as the worker's actor would; returns the delivery outcome if any."""
    message = pending.message
    args: tuple[Any, ...] = tuple(message.args)
    with tenant_scope(uuid.UUID(message.options[TENANT_OPTION])):
        if message.actor_name == PUBLISH:
            await backlog.relay_backlog(
                uuid.UUID(args[0]),
                sessions=runtime.sessions,
                plugins=runtime.plugins,
                clock=runtime.clock,
                dispatch=runtime.dispatch,
                run_handler=partial(run_enabled, runtime.plugins),
            )
        elif message.actor_name == DELIVER:
            return await delivery.deliver(
                uuid.UUID(args[0]),
                sessions=runtime.sessions,
                clock=runtime.clock,
                run_handler=partial(run_subscription, runtime.plugins),
            )
        elif message.actor_name in (RUN_TASK, RUN_SCHEDULE):
            kind = "task" if message.actor_name == RUN_TASK else "schedule"
            arguments = args[2] if kind == "task" else {}
            await actors.run_in_plugin(
                runtime.sessions, runtime.plugins, args[0], args[1], arguments, kind=kind
            )
        elif message.actor_name == SEND_MESSAGE:
            await send_message(
                uuid.UUID(args[0]),
                sessions=runtime.sessions,
                plugins=runtime.plugins,
                clock=runtime.clock,
                dispatch=runtime.dispatch,
            )
        else:
            raise LookupError(f"the kit cannot run {message.actor_name!r} messages")
    return None


async def invoke_command(runtime: Runtime, plugin: str, args: Sequence[str]) -> Result:
    """``pitstop <plugin> <args>`` with this runtime as the click object, as ``pitstop``
    would run it; on a thread, since a command runs its own event loop."""
    group = plugin_groups(runtime.plugins, frozenset()).get(plugin)
    if group is None:
        raise LookupError(f"plugin {plugin} declares no commands")
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, group, list(args), obj=runtime)


async def close(runtime: Runtime) -> None:
    await runtime.close()
