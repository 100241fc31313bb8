"""The tenant context: which tenant the current request, job or command acts for.

A contextvar (not a thread-local, not a global) so that concurrent requests and async
jobs each see their own tenant. ``tenant_scope()`` restores the previous value on exit so
nested scopes (a job that enqueues for another tenant) never leak. ``system_scope()`` is
the one named escape hatch for cross-tenant *discovery* (the scheduler and the outbox
relay read IDs, then hand each piece of work to a tenant-scoped job).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class TenantContextMissing(RuntimeError):
    """Raised when tenant data is touched with no tenant in context (fail closed)."""


@dataclass(frozen=True)
class TenantContext:
    tenant_id: uuid.UUID | None
    system: bool = False
    reason: str = ""


_current: ContextVar[TenantContext | None] = ContextVar("pitstop_tenant", default=None)


def current_context() -> TenantContext | None:
    return _current.get()


def current_tenant_id() -> uuid.UUID:
    """The tenant in context; raises rather than ever meaning "all tenants"."""
    ctx = _current.get()
    if ctx is None or ctx.tenant_id is None:
        raise TenantContextMissing("no tenant in context: tenant data cannot be read or written")
    return ctx.tenant_id


def maybe_tenant_id() -> uuid.UUID | None:
    ctx = _current.get()
    return None if ctx is None else ctx.tenant_id


def in_system_scope() -> bool:
    ctx = _current.get()
    return ctx is not None and ctx.system


@contextmanager
def tenant_scope(tenant_id: uuid.UUID) -> Iterator[uuid.UUID]:
    if not isinstance(tenant_id, uuid.UUID):
        raise TypeError(f"tenant_scope() needs a UUID, got {type(tenant_id).__name__}")
    token = _current.set(TenantContext(tenant_id=tenant_id))
    try:
        yield tenant_id
    finally:
        _current.reset(token)


@contextmanager
def system_scope(reason: str) -> Iterator[None]:
    """Cross-tenant discovery for the scheduler and relay; the reason names the caller."""
    if not reason:
        raise ValueError("system_scope() needs a reason naming the caller")
    token = _current.set(TenantContext(tenant_id=None, system=True, reason=reason))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Clear the context, e.g. for platform-operator requests that must see no tenant."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
