"""``pitstop.testing``: the public test kit for plugins, versioned with the SDK.

A partner tests a plugin against the real app without importing the core's internals::

    from pitstop.testing import plugin_app

    async def test_notes_are_listed() -> None:
        async with plugin_app(my_plugin, settings={"prefix": "order"}) as app:
            await app.completed_order()
            await app.drain()
            response = await app.client("hq_admin").get("/api/v1/notes/notes")
            assert response.status_code == 200

Everything here follows ``pitstop.sdk``'s versioning: names in ``__all__`` and their
signatures change incompatibly only with a new major :data:`SDK_VERSION`, and are listed
in the SDK's changelog when they change at all. See docs/testing-plugins.md.
"""

from __future__ import annotations

from pitstop.sdk import SDK_VERSION
from pitstop.testing.app import PluginApp, plugin_app
from pitstop.testing.client import RoleClient
from pitstop.testing.clock import DEFAULT_START, Clock
from pitstop.testing.console import ConsoleClient
from pitstop.testing.queue import DrainError
from pitstop.testing.records import LINE

__all__ = [
    "DEFAULT_START",
    "LINE",
    "SDK_VERSION",
    "Clock",
    "ConsoleClient",
    "DrainError",
    "PluginApp",
    "RoleClient",
    "plugin_app",
]
