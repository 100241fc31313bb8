"""The append-only audit log: who did what to which record, and why.

Details carry IDs and reasons only, never personal values. The actor comes from the
request (set by the edge) so a service cannot forget to say who acted; on PostgreSQL the
app role has no UPDATE or DELETE on the table, so history cannot be rewritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.models import AuditEntry

AUDIT_ACTIONS = frozenset(
    {
        # logging in (no session is audited, only what goes wrong)
        "auth.login_failed",
        "auth.locked",
        # a plugin's signed link opened (its rate limit counts these; access/links.py)
        "link.opened",
        # the platform operator, written into the affected tenant's log
        "tenant.created",
        "tenant.suspended",
        "tenant.resumed",
        # manifests (the API has no tenant settings route)
        "tenant.changed",
        # stores
        "store.created",
        "store.changed",
        "store.deactivated",
        # staff: ``detail.change`` says what (hired, updated, invited, accepted, password_set,
        # password_changed, adopted, deactivated); a password is a fact, never a value
        "staff.changed",
        # roles and integrations
        "role.changed",
        "api_key.created",
        "api_key.revoked",
        # plugins and event delivery
        "plugin.changed",
        "event_delivery.retried",
        # personal data
        "customer.reveal",
        "customer.export",
        "customer.list_exported",
        "customer.erase",
        "customer.search",
        "customer.consent_changed",
        # a car the shop bought, moved to the tenant's internal customer (crm/internal.py)
        "vehicle.taken_into_stock",
        # messaging
        "message_template.changed",
        "message.reconciled",
        "message_rules.changed",
    }
)
"""The core's actions (docs/audit.md explains each). A plugin's actions are its own,
named ``<plugin>.<verb>`` (:func:`record_for_plugin`)."""


class UnknownAuditAction(ValueError):
    """A programming error: an action nobody documented, so nobody would look for it."""


_Actor = tuple[str, uuid.UUID | None, dict[str, str]]
_actor: ContextVar[_Actor | None] = ContextVar("pitstop_actor", default=None)


@contextmanager
def acting_as(kind: str, actor_id: uuid.UUID | None, **context: str) -> Iterator[None]:
    """Who acts from here on; ``context`` joins every entry's detail (a manifest's file:
    ``acting_as("manifest", None, manifest="demo-chain.toml")``)."""
    token = _actor.set((kind, actor_id, context))
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def no_actor() -> Iterator[None]:
    """Nobody acting (an anonymous request): whatever actor the context held is hidden."""
    token = _actor.set(None)
    try:
        yield
    finally:
        _actor.reset(token)


async def record(
    session: AsyncSession,
    action: str,
    *,
    resource: str = "",
    resource_id: str | uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry in the session's transaction, so the change and its row commit or
    roll back together. ``at`` is the injected clock's now where the entry is later counted
    by time."""
    if action not in AUDIT_ACTIONS:
        raise UnknownAuditAction(f"{action!r} is not in AUDIT_ACTIONS")
    return await _append(session, action, resource, resource_id, detail, at)


async def record_for_plugin(
    session: AsyncSession,
    plugin: str,
    action: str,
    *,
    resource: str,
    resource_id: str | uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """A plugin names its actions in its own namespace: never a core action it could fake."""
    own = action.startswith(f"{plugin}.") and action != f"{plugin}."
    if not own or action in AUDIT_ACTIONS:
        raise UnknownAuditAction(f"plugin {plugin} audits {plugin}.<verb>, not {action!r}")
    return await _append(session, action, resource, resource_id, detail, None)


async def _append(
    session: AsyncSession,
    action: str,
    resource: str,
    resource_id: str | uuid.UUID | None,
    detail: dict[str, Any] | None,
    at: dt.datetime | None,
) -> AuditEntry:
    actor = _actor.get()
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    entry = AuditEntry(
        action=action,
        actor_kind=actor[0] if actor else "system",
        actor_id=actor[1] if actor else None,
        resource=resource,
        resource_id=None if resource_id is None else str(resource_id),
        detail={**(actor[2] if actor else {}), **(detail or {})},
        request_id=request_id,
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    await session.flush()
    return entry
