"""Who is making a request, resolved once at the edge before any guard or handler runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """A staff member (via JWT), an integration (via API key) or a platform operator.

    ``store_ids`` None means every store of the tenant; an empty set would mean none.
    """

    kind: str  # "user" | "api_key" | "platform"
    actor_id: uuid.UUID
    tenant_id: uuid.UUID | None
    role: str | None
    permissions: frozenset[str]
    store_ids: frozenset[uuid.UUID] | None = None
    pii_full: frozenset[str] = frozenset()
    tenant_slug: str | None = None
    """For logs, which name tenants by slug; isolation always goes by ``tenant_id``."""
    session_id: uuid.UUID | None = None
    """The login session of a JWT (what ``POST /auth/logout`` ends); None for API keys."""
    language: str | None = None
    """The language the person chose (``users.language``): the API's error messages follow
    it (``pitstop.wording``); None for API keys, which ask with ``Accept-Language``."""

    @property
    def is_platform(self) -> bool:
        return self.kind == "platform"

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def sees_store(self, store_id: uuid.UUID) -> bool:
        return self.store_ids is None or store_id in self.store_ids
