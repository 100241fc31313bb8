"""Test plugins that answer the read-side customer hooks, or fail to, as a test tells them.

One class, several instances under different names, so a test can enable a steady plugin
and a broken one side by side and see that each is called with its own context.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from pitstop.sdk import PluginContext, PluginInfo, Section, hookimpl

RAISE, BAD_SQL = "raise", "bad_sql"


class Reader:
    """A plugin whose ``customer_summary`` and ``customer_attributes`` the test controls."""

    def __init__(self, name: str, attributes: dict[Any, Any] | None = None) -> None:
        self.name = name
        self.attributes = {"kind": name} if attributes is None else attributes
        self.failure: str | None = None
        """``RAISE``: a Python exception; ``BAD_SQL``: a statement the database rejects."""
        self.erase_fails = False

    async def _maybe_fail(self, ctx: PluginContext, customer_id: uuid.UUID) -> None:
        if self.failure == RAISE:
            raise RuntimeError(f"{self.name} cannot read customer {customer_id}")
        if self.failure == BAD_SQL:
            await ctx.session.execute(text("SELECT * FROM no_such_table_for_readers"))

    @hookimpl
    def plugin_info(self) -> PluginInfo:
        return PluginInfo(name=self.name, version="0.1.0", title=self.name.title())

    @hookimpl
    async def customer_summary(self, ctx: PluginContext, customer_id: uuid.UUID) -> Section:
        await self._maybe_fail(ctx, customer_id)
        return Section(title=self.name.title(), data={"context_of": ctx.plugin})

    @hookimpl
    async def customer_attributes(
        self, ctx: PluginContext, customer_id: uuid.UUID
    ) -> dict[Any, Any]:
        await self._maybe_fail(ctx, customer_id)
        return self.attributes

    @hookimpl
    async def erase_customer(self, ctx: PluginContext, customer_id: uuid.UUID) -> None:
        if self.erase_fails:
            raise RuntimeError(f"{self.name} cannot erase")
