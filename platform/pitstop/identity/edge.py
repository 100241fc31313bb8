"""The edge wall: resolve principal and tenant before any guard or handler runs.

An ASGI middleware (not a dependency) because Litestar guards cannot see DI values, and
because the tenant must be in context for the whole request — handler, serialisation
(masking) and any logging — and be reset afterwards. No tenant, no data: every route
needs a principal unless it opts out with ``exclude_from_auth``.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from pitstop.access.audit import acting_as
from pitstop.access.masking import pii_visibility
from pitstop.errors import ApiError, Forbidden, Unauthorized
from pitstop.identity.authenticate import authenticate
from pitstop.identity.principal import Principal
from pitstop.tenancy.context import no_tenant, tenant_scope

PUBLIC_PREFIXES = ("/schema",)
"""The OpenAPI document and its viewers describe the API; they hold no tenant data."""


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        handler = scope.get("route_handler")
        public = scope["path"].startswith(PUBLIC_PREFIXES) or (
            handler is not None and handler.opt.get("exclude_from_auth", False)
        )
        with structlog.contextvars.bound_contextvars(request_id=request_id), ExitStack() as stack:
            if public:
                stack.enter_context(no_tenant())
            else:
                runtime = scope["litestar_app"].state.runtime
                principal = await authenticate(runtime, _bearer(scope))
                scope["user"] = principal
                stack.enter_context(
                    structlog.contextvars.bound_contextvars(
                        tenant_id=str(principal.tenant_id or ""), actor_id=str(principal.actor_id)
                    )
                )
                if principal.tenant_id is None:
                    stack.enter_context(no_tenant())
                else:
                    stack.enter_context(tenant_scope(principal.tenant_id))
                stack.enter_context(pii_visibility(principal.pii_full))
                stack.enter_context(acting_as(principal.kind, principal.actor_id))
            await self.app(scope, receive, send)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id" and 0 < len(value) <= 64:
            return value.decode("latin-1")
    return uuid.uuid4().hex


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise Unauthorized("a bearer token is required", code="unauthorized")


def permission_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Handlers declare ``opt={"permission": "area:action"}``; the permission table decides."""
    if handler.opt.get("exclude_from_auth"):
        return
    principal: Principal | None = connection.scope.get("user")
    if principal is None:
        raise Unauthorized("a bearer token is required")
    if handler.opt.get("any_principal"):
        return  # about the caller's own session (log out), no tenant data
    if handler.opt.get("platform"):
        if not principal.is_platform:
            raise Forbidden("platform operators only", code="permission_denied")
        return
    if principal.is_platform:
        raise Forbidden("platform operators read no tenant's data", code="permission_denied")
    needed = handler.opt.get("permission")
    if needed is not None and not principal.can(needed):
        raise Forbidden(f"this needs the permission {needed}", code="permission_denied")


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise ApiError("no principal", status=401, code="unauthorized")
    return principal
