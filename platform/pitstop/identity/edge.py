"""The edge wall: resolve principal and tenant before any guard or handler runs.

An ASGI middleware (not a dependency) because Litestar guards cannot see DI values, and
because the tenant must be in context for the whole request — handler, serialisation
(masking) and any logging — and be reset afterwards. No tenant, no data: every route
needs a principal unless it declares ``opt={"public": True}``; a route that declares no
rule at all is treated as closed (``access/route_access.py``). Everything request-scoped
is set in one :class:`~pitstop.identity.request_scope.RequestScope`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.links import LINK_KIND
from pitstop.access.principal import Principal
from pitstop.access.route_access import PLUGIN_KEY, Access, route_access
from pitstop.db.engine import SessionFactory
from pitstop.errors import ApiError, Forbidden, NotFound, Unauthorized
from pitstop.identity.authenticate import API_KEY_PREFIX
from pitstop.identity.request_scope import RequestScope
from pitstop.logs import request_id_of

Authenticate = Callable[[str, AsyncSession | None], Awaitable[Principal]]
"""A bearer credential to its principal (``identity.authenticate.Authenticator``), read in
the given session when there is one."""
OpenLink = Callable[[str, str, str], Principal]
"""``(token, plugin, purpose)`` to a link route's principal, or NotFound (``access/links``)."""

REQUEST_SESSION = "pitstop_request_session"
"""Where the edge leaves the request's session (``scope["state"]``) once it has read the
caller's standing in it; the ``session`` dependency continues that same transaction."""

COOKIE_CREDENTIAL = "credential_cookie"
"""A route whose ``opt`` names a cookie under this key (the console's pages) also takes its
credential from that cookie. API routes never do: a browser sends cookies on its own, so
only routes that check a CSRF token on every form may accept them."""


class EdgeMiddleware:
    """Mounted by the assembly as ``DefineMiddleware(EdgeMiddleware, authenticate=...)``."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Authenticate,
        open_link: OpenLink | None = None,
        sessions: SessionFactory | None = None,
    ) -> None:
        """``sessions``: open the request's transaction here and authenticate in it (given
        on PostgreSQL, where each round trip counts; embedded SQLite authenticates in a
        deferred read of its own, so readers do not take the write lock)."""
        self.app = app
        self.authenticate = authenticate
        self.open_link = open_link
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        request_id = state.get("request_id") or request_id_of(scope)
        state["request_id"] = request_id
        rule = route_access(scope.get("route_handler"))
        with RequestScope(request_id) as request:
            if rule.access is Access.link:
                principal = self._link(scope, rule.purpose or "")
                await self._serve(scope, receive, send, request, principal)
                return
            if rule.public:
                await self.app(scope, receive, send)
                return
            credential = _credential(scope)
            sessions = self.sessions if scope["type"] == "http" else None
            if sessions is None or credential.startswith(API_KEY_PREFIX):
                principal = await self.authenticate(credential, None)
                await self._serve(scope, receive, send, request, principal)
                return
            async with sessions() as session:
                principal = await self.authenticate(credential, session)
                state[REQUEST_SESSION] = session
                await self._serve(scope, receive, send, request, principal)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, request: RequestScope, who: Principal
    ) -> None:
        scope["user"] = who
        request.act_as(who)
        await self.app(scope, receive, send)

    def _link(self, scope: Scope, purpose: str) -> Principal:
        """A link route ignores any bearer token: the link alone says who and which tenant."""
        handler = scope.get("route_handler")
        plugin = str(handler.opt.get(PLUGIN_KEY, "")) if handler is not None else ""
        token = str(scope.get("path_params", {}).get("token", ""))
        if self.open_link is None or not plugin:
            raise NotFound("no such link", code="link_invalid")
        return self.open_link(token, plugin, purpose)


def _credential(scope: Scope) -> str:
    """The bearer token; on a route that declares a credential cookie, else that cookie."""
    handler = scope.get("route_handler")
    cookie = handler.opt.get(COOKIE_CREDENTIAL) if handler is not None else None
    if cookie and not any(name == b"authorization" for name, _ in scope.get("headers", [])):
        value = _cookie(scope, str(cookie))
        if value:
            return value
    return _bearer(scope)


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
            if name in jar and jar[name].value:
                return jar[name].value
    return None


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
    """Enforce the handler's declared rule; a route that declares none is refused (403)."""
    rule = route_access(handler)
    if rule.public:
        return
    principal: Principal | None = connection.scope.get("user")
    if rule.access is Access.link:
        expected = f"{handler.opt.get(PLUGIN_KEY)}:{rule.purpose}"
        if principal is None or principal.kind != LINK_KIND or principal.role != expected:
            raise NotFound("no such link", code="link_invalid")
        return
    if principal is None:
        raise Unauthorized("a bearer token is required")
    if principal.kind == LINK_KIND:
        raise Forbidden("a link opens its own page only", code="permission_denied")
    if rule.access is Access.session:
        return  # about the caller's own session (log out), no tenant data
    if rule.access is Access.platform:
        if not principal.is_platform:
            raise Forbidden("platform operators only", code="permission_denied")
        return
    if principal.is_platform:
        raise Forbidden("platform operators read no tenant's data", code="permission_denied")
    if rule.access is Access.authenticated:
        return
    if rule.access is Access.permission and rule.permission is not None:
        if not principal.can(rule.permission):
            raise Forbidden(
                f"this needs the permission {rule.permission}", code="permission_denied"
            )
        return
    raise Forbidden("this route declares no access rule", code="route_undeclared")


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise ApiError("no principal", status=401, code="unauthorized")
    return principal
