"""What plugins add to a customer: sections of the 360° view, and their part of an export
or an erasure.

The CRM asks for these through :class:`CustomerExtensions`, a protocol it owns, rather
than through the plugin host: the host sits above the CRM (it imports the CRM's read
models for plugins), so the CRM names what it needs and the assembly hands it the host,
which satisfies the protocol structurally. :class:`Section` lives here for the same
reason; the SDK re-exports it for plugins.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, runtime_checkable

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession


class Section(msgspec.Struct):
    """One plugin's part of the customer 360° view; the host fills in ``plugin``."""

    title: str
    data: dict[str, Any]
    plugin: str = ""
    error: str | None = None
    """Set by the host, never by a plugin: ``"unavailable"`` when the plugin failed to
    answer (its ``data`` is then empty and the rest of the view is unaffected)."""


@runtime_checkable
class CustomerExtensions(Protocol):
    """The plugins' answers about one customer, inside the caller's transaction.

    Runtime-checkable because Litestar checks an injected value against its annotation.
    """

    async def customer_sections(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> list[Section]:
        """Each enabled plugin's section of the profile."""
        ...

    async def attribute_filter(self, session: AsyncSession, *, name: str, value: str) -> list[Any]:
        """The enabled plugins' selects of the customer ids whose attribute ``name`` has
        ``value`` (empty when no plugin filters on it)."""
        ...

    async def export_customer(
        self, session: AsyncSession, *, customer_id: uuid.UUID
    ) -> dict[str, Any]:
        """Each plugin's data about the customer, keyed by plugin name."""
        ...

    async def erase_customer(self, session: AsyncSession, *, customer_id: uuid.UUID) -> None:
        """Every plugin erases the personal data it holds about the customer."""
        ...
