"""A tiny plugin written against ``pitstop.sdk`` only, registered per test (never globally).

Its effect is an audit row per handled event, written in the handler's transaction, so a
test can count effects in the database exactly as a real plugin's writes would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from pitstop.sdk import (
    Event,
    EventType,
    PluginContext,
    PluginInfo,
    Schedule,
    hookimpl,
    permission,
)

FAILURES: dict[str, int] = {}
"""Event ids the handler should fail on, with how many times (test-controlled)."""


class SampleSettings(msgspec.Struct, forbid_unknown_fields=True):
    greeting: str = "hello"
    limit: int = 10

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")


class SampleHappened(msgspec.Struct, forbid_unknown_fields=True):
    """Something happened to an order (the sample's own event)."""

    order_id: str
    total: int


HAPPENED = EventType("sample.happened", SampleHappened)


class SampleController(Controller):
    path = "/"

    @get("/hello", opt={"permission": "sample:read"})
    async def hello(self, ctx: NamedDependency[PluginContext]) -> dict[str, Any]:
        return {"greeting": ctx.settings.greeting, "tenant": str(ctx.tenant_id)}


async def on_event(ctx: PluginContext, event: Event) -> None:
    remaining = FAILURES.get(str(event.id), 0)
    if remaining:
        FAILURES[str(event.id)] = remaining - 1
        raise RuntimeError("sample handler failed on purpose")
    await ctx.audit("sample.seen", resource="event", resource_id=event.id)


async def nightly(ctx: PluginContext) -> None:
    await ctx.audit("sample.nightly", resource="schedule")


async def remind(ctx: PluginContext, *, note: str) -> None:
    await ctx.audit("sample.task", resource="task", detail={"note": note})


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="sample",
        version="1.2.3",
        title="Sample",
        settings=SampleSettings,
        permissions=(permission("sample:read", "Read the sample", {"hq_admin"}),),
        events=(HAPPENED,),
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [SampleController]


@hookimpl
def subscriptions() -> Mapping[str, Any]:
    return {"sample.happened": on_event, "service_order.completed": on_event}


@hookimpl
def schedules() -> Sequence[Schedule]:
    return [Schedule("nightly", "0 2 * * *", nightly)]


@hookimpl
def tasks() -> Mapping[str, Any]:
    return {"remind": remind}


@hookimpl
async def on_tenant_enabled(ctx: PluginContext) -> None:
    await ctx.audit("sample.setup", resource="plugin", resource_id="sample")
