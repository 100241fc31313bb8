"""A plugin that tries to end the host's transaction, and one that uses savepoints properly.

Registered per test (tests/plugins/platform/test_plugin_session.py). Its writes are audit
rows, so a test can count in the database what a request left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, post
from litestar.di import NamedDependency

from pitstop.sdk import PluginContext, PluginInfo, hookimpl, permission


class Undo(Exception):
    """Raised inside a savepoint to roll back to it."""


class ProbeController(Controller):
    path = "/"
    opt = {"permission": "txprobe:write"}

    @post("/commit", status_code=200)
    async def commit_halfway(self, ctx: NamedDependency[PluginContext]) -> dict[str, Any]:
        """Writes, then tries to commit the host's transaction before writing more."""
        await ctx.audit("txprobe.first", resource="probe")
        await ctx.session.commit()
        await ctx.audit("txprobe.second", resource="probe")
        return {}

    @post("/savepoints", status_code=200)
    async def savepoints(self, ctx: NamedDependency[PluginContext]) -> dict[str, Any]:
        """Keeps one write, undoes one in a savepoint, releases another."""
        await ctx.audit("txprobe.kept", resource="probe")
        try:
            async with ctx.session.begin_nested():
                await ctx.audit("txprobe.undone", resource="probe")
                await ctx.session.flush()
                raise Undo
        except Undo:
            pass
        async with ctx.session.begin_nested():
            await ctx.audit("txprobe.released", resource="probe")
        return {}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="txprobe",
        version="1.0.0",
        title="Transaction probe",
        sdk=">=1.1,<2",
        permissions=(permission("txprobe:write", "Probe the transaction", {"hq_admin"}),),
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [ProbeController]
