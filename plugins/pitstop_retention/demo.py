"""Demo data, filled in below."""

from __future__ import annotations

from pitstop.sdk import PluginContext


async def load_demo(ctx: PluginContext) -> str | None:
    return None
