"""What each route declares about who may call it, and the start-up check that all do.

Deny by default: a route is callable only as its handler declares, in ``opt``, exactly one of

- ``{"permission": "area:action"}`` — a tenant principal whose role holds the permission;
- ``{"authenticated": True}`` — any tenant principal, whatever its role (e.g. "who am I");
- ``{"public": True}`` — anyone, with no token and no tenant (login, probes, the schema);
- ``{"platform": True}`` — platform operators only;
- ``{"session": True}`` — anyone signed in, staff or operator, for routes about the
  caller's own session (log out); such a route reads no tenant's data;
- ``{"link": "<purpose>"}`` — a plugin's public page, reached with a link the plugin signed
  for that purpose (``access/links.py``): no login; the path carries ``{token}``, the edge
  verifies it and derives the tenant from it. Plugin routes only.

Before this rule a handler that named nothing was open to every role, and a plugin route
that forgot its permission answered a technician with 200. Now :func:`check_routes` runs
in ``create_app`` and refuses to start, naming every route that declares none, two, or one
that cannot be honoured — so a partner learns it the first time the plugin loads — and the
guard and the edge treat an undeclared route as closed should one ever be mounted anyway.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.handlers.base import BaseRouteHandler

PLUGIN_KEY = "pitstop_plugin"
"""Set on every plugin router's ``opt``: the routes a plugin owns, named by the plugin."""

HOW_TO_DECLARE = (
    'declare opt={"permission": "area:action"} (or {"authenticated": True}, {"public": True})'
)


class Access(enum.StrEnum):
    permission = "permission"
    authenticated = "authenticated"
    public = "public"
    platform = "platform"
    session = "session"
    link = "link"


@dataclass(frozen=True)
class RouteAccess:
    """One route's rule; ``access`` is None when the route declares none it may have."""

    access: Access | None
    permission: str | None = None
    problem: str = ""
    purpose: str | None = None
    """A link route's purpose: only links signed for it open the route."""

    @property
    def public(self) -> bool:
        return self.access is Access.public


UNDECLARED = RouteAccess(None, problem=f"declares no access rule: {HOW_TO_DECLARE}")


class RouteAccessRefused(RuntimeError):
    """The app will not start: some route does not say who may call it."""


def route_access(handler: BaseRouteHandler | None) -> RouteAccess:
    """The rule ``handler`` declares; a route with none (or an unknown one) is closed."""
    if handler is None:
        return UNDECLARED
    if _generated_options(handler):
        # Litestar's own OPTIONS answer: the path's Allow header, which /schema publishes
        # anyway; and CORS preflights carry no credentials.
        return RouteAccess(Access.public)
    opt = handler.opt
    if opt.get("exclude_from_auth"):
        return RouteAccess(None, problem='uses exclude_from_auth: use opt={"public": True}')
    declared = [kind for kind in Access if opt.get(kind.value)]
    if len(declared) > 1:
        named = ", ".join(kind.value for kind in declared)
        return RouteAccess(None, problem=f"declares more than one access rule ({named})")
    if not declared:
        return UNDECLARED
    if declared[0] is Access.permission:
        return RouteAccess(Access.permission, permission=str(opt["permission"]))
    if declared[0] is Access.link:
        return RouteAccess(Access.link, purpose=str(opt["link"]))
    return RouteAccess(declared[0])


def _generated_options(handler: BaseRouteHandler) -> bool:
    fn = getattr(handler, "fn", None)
    return (
        getattr(fn, "__qualname__", "")
        == "HTTPRoute.create_options_handler.<locals>.options_handler"
    )


def check_routes(app: Litestar, permissions: Container[str], guard: Callable[..., Any]) -> None:
    """Raise :class:`RouteAccessRefused` naming every route whose rule cannot be honoured."""
    problems = []
    for route in app.routes:
        for method, entry in sorted(getattr(route, "route_handler_map", {}).items()):
            handler = entry[0] if isinstance(entry, tuple) else entry
            problem = _problem(handler, permissions, guard)
            if problem:
                plugin = handler.opt.get(PLUGIN_KEY)
                owner = f"plugin {plugin}: " if plugin else ""
                name = f"{handler.fn.__module__}.{handler.fn.__qualname__}"
                problems.append(f"{owner}{method} {route.path} ({name}) {problem}")
    if problems:
        raise RouteAccessRefused(
            "routes must say who may call them; refusing to start:\n  " + "\n  ".join(problems)
        )


def _problem(
    handler: BaseRouteHandler, permissions: Container[str], guard: Callable[..., Any]
) -> str:
    if _generated_options(handler):
        return ""
    rule = route_access(handler)
    if rule.access is None:
        return rule.problem
    if rule.permission is not None and rule.permission not in permissions:
        return f"names the permission {rule.permission}, which no one declares"
    if rule.access is Access.link:
        if not handler.opt.get(PLUGIN_KEY):
            return "is a link route, which only a plugin may declare"
        if not all("{token" in path for path in handler.paths):
            return "is a link route without {token} in its path"
    if handler.opt.get(PLUGIN_KEY) and rule.access in (
        Access.public,
        Access.platform,
        Access.session,
    ):
        return f"is {rule.access.value}, but a plugin route serves a tenant's principal"
    if not rule.public and not any(guard in (o.guards or ()) for o in handler.ownership_layers):
        return "is not behind the permission guard, so its rule would not be enforced"
    return ""
