"""A plugin that only sends messages: what ``ctx.notify`` is tested through."""

from __future__ import annotations

from pitstop.sdk import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(name="notifier", version="0.1.0", title="Notifier", sdk=">=1.2,<2")
