"""The platform's actors, bound to the collaborators they run with (sessions, plugins, clock).

Registered with :func:`register_actors` only in processes that run workers (``pitstop
worker``; ``pitstop serve`` when embedded; tests). Each actor is ``async``: Dramatiq's
AsyncIO middleware runs it on the worker's event loop, where the sessions' engine lives.
The tenant comes from the message (see :class:`~pitstop.worker.middleware.TenantMiddleware`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import dramatiq
import structlog
from dramatiq.broker import Broker
from sqlalchemy import select

from pitstop.db.base import Clock
from pitstop.db.engine import READ_ONLY, SessionFactory
from pitstop.db.guard import READ_ONLY_SESSION
from pitstop.db.tenant_context import current_tenant_id
from pitstop.events.backlog import Published, relay_backlog
from pitstop.events.delivery import MAX_ATTEMPTS, deliver
from pitstop.plugin_host.manager import PluginHost
from pitstop.plugin_host.subscriptions import run_enabled, run_subscription
from pitstop.plugin_host.types import ReadFirst
from pitstop.tenancy.models import Tenant, TenantPlugin
from pitstop.worker.core_jobs import run_core_job
from pitstop.worker.dispatch import (
    DELIVER,
    PUBLISH,
    QUEUE,
    RUN_CORE_JOB,
    RUN_SCHEDULE,
    RUN_TASK,
    SEND_MESSAGE,
    Dispatcher,
)
from pitstop.worker.messages import MAX_SENDS, send_message

log = structlog.get_logger("pitstop.worker")
TIME_LIMIT_MS = 60_000


def register_actors(
    broker: Broker,
    *,
    sessions: SessionFactory,
    plugins: PluginHost,
    clock: Clock,
    dispatch: Dispatcher,
) -> dict[str, dramatiq.Actor[Any, Any]]:
    run_handler = partial(run_subscription, plugins)
    published = Published()

    async def publish_event_actor(event_id: str) -> None:
        current_tenant_id()  # fail closed: a message without a tenant does nothing
        await relay_backlog(
            uuid.UUID(event_id),
            sessions=sessions,
            plugins=plugins,
            clock=clock,
            dispatch=dispatch,
            run_handler=partial(run_enabled, plugins),
            published=published,
        )

    async def deliver_event_actor(delivery_id: str) -> None:
        current_tenant_id()
        await deliver(
            uuid.UUID(delivery_id), sessions=sessions, clock=clock, run_handler=run_handler
        )

    async def run_task_actor(plugin: str, task: str, arguments: dict[str, Any]) -> None:
        await run_in_plugin(sessions, plugins, plugin, task, arguments, kind="task")

    async def run_schedule_actor(plugin: str, schedule: str) -> None:
        await run_in_plugin(sessions, plugins, plugin, schedule, {}, kind="schedule")

    async def run_core_job_actor(job: str) -> None:
        await run_core_job(sessions, clock, job)

    async def send_message_actor(message_id: str) -> None:
        await send_message(
            uuid.UUID(message_id),
            sessions=sessions,
            plugins=plugins,
            clock=clock,
            dispatch=dispatch,
        )

    specs: dict[str, tuple[Callable[..., Awaitable[None]], dict[str, int]]] = {
        PUBLISH: (publish_event_actor, {"max_retries": 20}),
        DELIVER: (
            deliver_event_actor,
            {"max_retries": MAX_ATTEMPTS - 1, "min_backoff": 1000, "max_backoff": 300_000},
        ),
        RUN_TASK: (run_task_actor, {"max_retries": 5}),
        RUN_SCHEDULE: (run_schedule_actor, {"max_retries": 0}),
        RUN_CORE_JOB: (run_core_job_actor, {"max_retries": 0, "time_limit": 3_600_000}),
        SEND_MESSAGE: (
            send_message_actor,
            {"max_retries": MAX_SENDS, "min_backoff": 1000, "max_backoff": 300_000},
        ),
    }
    return {
        name: dramatiq.Actor(
            fn,
            broker=broker,
            actor_name=name,
            queue_name=QUEUE,
            priority=0,
            options={"time_limit": TIME_LIMIT_MS, **options},
        )
        for name, (fn, options) in specs.items()
    }


async def run_in_plugin(
    sessions: SessionFactory,
    host: PluginHost,
    plugin: str,
    name: str,
    arguments: dict[str, Any],
    *,
    kind: str,
) -> None:
    """One transaction: a disabled (or uninstalled) plugin's job does nothing."""
    current_tenant_id()
    loaded = host.plugins.get(plugin)
    if loaded is None:
        log.warning("plugin_not_installed", plugin=plugin, job=name)
        return
    if kind == "task":
        handler = loaded.tasks.get(name)
    else:
        handler = next((s.run for s in loaded.schedules if s.name == name), None)
    if handler is None:
        log.warning("plugin_job_unknown", plugin=plugin, job=name)
        return
    if isinstance(handler, ReadFirst):
        if not await _in_plugin(sessions, host, plugin, handler.check, arguments, reads=True):
            return
        handler = handler.run
    await _in_plugin(sessions, host, plugin, handler, arguments, reads=False)


async def _in_plugin(
    sessions: SessionFactory,
    host: PluginHost,
    plugin: str,
    handler: Callable[..., Awaitable[Any]],
    arguments: dict[str, Any],
    *,
    reads: bool,
) -> Any:
    """``handler`` in one transaction if the plugin is enabled; ``reads``: one that only
    reads (SQLite: begun deferred, not queued for the write lock; a write is refused)."""
    async with sessions() as session, session.begin():
        if reads:
            session.info[READ_ONLY_SESSION] = True
            await session.connection(execution_options={READ_ONLY: True})
        # The tenant with its plugin row, one round trip: the context finds it in the
        # session (a timer pays this twice, its read and its run; issue 21's burst).
        found = (
            await session.execute(
                select(TenantPlugin, Tenant)
                .join(Tenant, Tenant.id == TenantPlugin.tenant_id)
                .where(TenantPlugin.plugin == plugin, TenantPlugin.enabled)
            )
        ).one_or_none()
        if found is None:
            return None
        ctx = await host.context(session, plugin, row=found.TenantPlugin)
        return await handler(ctx, **arguments)
