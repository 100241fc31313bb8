"""The relay and delivery steps run directly with a test's runtime, wired as the worker's
actors and the scheduler's sweep wire them (:mod:`pitstop.processes`)."""

from __future__ import annotations

import uuid
from functools import partial

from pitstop.events import backlog, delivery, relay
from pitstop.plugin_host.subscriptions import run_enabled, run_subscription
from pitstop.runtime import Runtime


async def publish_event(runtime: Runtime, event_id: uuid.UUID) -> int:
    return await relay.publish_event(
        event_id,
        sessions=runtime.sessions,
        plugins=runtime.plugins,
        clock=runtime.clock,
        dispatch=runtime.dispatch,
    )


async def relay_backlog(
    runtime: Runtime,
    event_id: uuid.UUID,
    *,
    published: backlog.Published | None = None,
    batch: int = backlog.BATCH,
) -> int:
    return await backlog.relay_backlog(
        event_id,
        sessions=runtime.sessions,
        plugins=runtime.plugins,
        clock=runtime.clock,
        dispatch=runtime.dispatch,
        run_handler=partial(run_enabled, runtime.plugins),
        published=published,
        batch=batch,
    )


async def deliver(runtime: Runtime, delivery_id: uuid.UUID) -> str:
    return await delivery.deliver(
        delivery_id,
        sessions=runtime.sessions,
        clock=runtime.clock,
        run_handler=partial(run_subscription, runtime.plugins),
    )


async def sweep(runtime: Runtime) -> tuple[int, int]:
    return await relay.sweep(
        sessions=runtime.sessions, clock=runtime.clock, dispatch=runtime.dispatch
    )
