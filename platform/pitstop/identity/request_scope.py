"""One request, one scope: every request-scoped contextvar is set on entry and reset on exit.

The request-scoped variables are the tenant (``db.tenant_context``), the PII policy
(``access.masking``), the audit actor (``access.audit``) and the log binding (structlog's
contextvars: ``request_id``, ``tenant_id``, ``actor_id``). The principal itself travels in
the ASGI scope (``scope["user"]``), which is per request by construction.

Why every variable is *set* on entry — to its anonymous value — rather than left at its
default: a request does not start in an empty context. When a request's body is refused
before it is read (a 403 on a 100 KB POST), uvicorn's flow control resumes reading the
connection from inside that request's task, and asyncio's ``add_reader`` captures the
task's context for the transport's callbacks (python/cpython#140947, uvicorn#2167). Every
later request on that keep-alive connection then starts in a copy of the refused request's
context. Setting only what a request needs (the tenant, for a public route) let an
anonymous failed login be audited as the previous caller, with the previous caller's PII
policy and log binding. So the scope trusts nothing it inherits, sets everything, and
unwinds everything in one ``ExitStack`` however the request ends; nothing request-scoped
is set anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any

import structlog

from pitstop.access.audit import acting_as, no_actor
from pitstop.access.masking import pii_visibility
from pitstop.access.principal import Principal
from pitstop.db.tenant_context import no_tenant, tenant_scope


@contextmanager
def _log_binding_of_its_own(**binding: Any) -> Iterator[None]:
    """Only ``binding`` is bound inside; what was bound before comes back afterwards."""
    saved = structlog.contextvars.get_contextvars()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**binding)
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**saved)


class RequestScope:
    """``with RequestScope(request_id) as request:`` anonymous; ``request.act_as(p)`` after auth."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self._stack = ExitStack()

    def __enter__(self) -> RequestScope:
        with ExitStack() as stack:
            stack.enter_context(_log_binding_of_its_own(request_id=self.request_id))
            stack.enter_context(no_tenant())
            stack.enter_context(pii_visibility(frozenset()))
            stack.enter_context(no_actor())
            self._stack = stack.pop_all()
        return self

    def act_as(self, principal: Principal) -> None:
        """The principal's tenant, policy, actor and log binding, until the request ends."""
        enter = self._stack.enter_context
        enter(
            structlog.contextvars.bound_contextvars(
                tenant_id=str(principal.tenant_id or ""), actor_id=str(principal.actor_id)
            )
        )
        enter(no_tenant() if principal.tenant_id is None else tenant_scope(principal.tenant_id))
        enter(pii_visibility(principal.pii_full))
        enter(acting_as(principal.kind, principal.actor_id))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.__exit__(exc_type, exc, traceback)
