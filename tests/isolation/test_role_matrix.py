"""Role × endpoint matrix, generated from the permission table and the app's routes.

Every route is in it, by the access rule it declares (docs/security/edge.md): a route that
names a permission is called by every role template, which gets past the guard exactly
where the table grants the permission and 403 elsewhere; an ``authenticated`` route lets
every role through; a ``platform`` route refuses every tenant role; a ``public`` route
answers a caller with no token. A route that declares no rule fails the matrix. A new route
or permission joins the matrix without anyone editing this file.
"""

from __future__ import annotations

import re
import uuid

from litestar import Litestar

from pitstop.access.permissions import ROLE_TEMPLATES, PermissionTable
from pitstop.access.route_access import Access, RouteAccess, route_access
from pitstop.runtime import Runtime
from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo

SAMPLE = str(uuid.UUID(int=1))


def declared_routes(app: Litestar) -> list[tuple[str, str, RouteAccess, bool]]:
    """(method, path with a sample id, declared rule, whether the path names a record)."""
    routes = []
    for route in app.routes:
        for method, entry in getattr(route, "route_handler_map", {}).items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            path = re.sub(r"\{[^}]+\}", SAMPLE, route.path)
            routes.append((method, path, route_access(handler), path != route.path))
    return sorted(routes, key=lambda r: (r[0], r[1]))


def _by(
    routes: list[tuple[str, str, RouteAccess, bool]], access: Access | None
) -> list[tuple[str, str, RouteAccess, bool]]:
    return [r for r in routes if r[2].access is access]


async def test_every_route_declares_an_access_rule(app: Litestar) -> None:
    # Given every route of the app, core and plugins
    routes = declared_routes(app)
    # Then each declares a rule: none is allowed (or refused) by default
    assert [(m, p, r.problem) for m, p, r, _ in _by(routes, None)] == []
    assert {r.access for _, _, r, _ in routes} >= {
        Access.permission,
        Access.public,
        Access.platform,
    }


async def test_a_public_route_answers_a_caller_without_a_token(demo: Demo, app: Litestar) -> None:
    # Given the public routes (login, probes, the schema, Litestar's OPTIONS answers)
    public = _by(declared_routes(app), Access.public)
    assert len(public) >= 10
    # When each is called with no token (with the console's CSRF pair, a separate wall)
    csrf = await console_csrf(demo)
    answers = [
        (
            method,
            path,
            (await demo.client.request(method, path, json={}, headers=csrf)).status_code,
        )
        for method, path, _, _ in public
    ]
    # Then none asks for one, and none fails
    assert [a for a in answers if a[2] in (401, 403) or a[2] >= 500] == []


async def console_csrf(demo: Demo) -> dict[str, str]:
    """The console's CSRF header matching the cookie its sign-in page sets in the client:
    its forms refuse a post without it (tests/console), whoever sends it."""
    await demo.client.get("/console/login")
    return {"x-csrftoken": demo.client.cookies["pitstop_csrf"]}


async def _fresh_headers(demo: Demo, role: str) -> dict[str, str]:
    response = await demo.client.post(
        "/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": CHAIN_LOGINS[role], "password": PASSWORD},
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_each_role_passes_the_guard_exactly_where_the_table_grants(
    demo: Demo, app: Litestar, runtime: Runtime
) -> None:
    # Given every installed plugin enabled for the demo chain: its routes and permissions
    # join the matrix, read from the runtime's table (core + plugins)
    admin = await demo.headers("hq_admin")
    for name in runtime.plugins.plugins:
        response = await demo.client.put(
            f"/api/v1/plugins/{name}", json={"enabled": True}, headers=admin
        )
        assert response.status_code == 200, response.text
    table = runtime.permissions
    routes = declared_routes(app)
    permission_routes = _by(routes, Access.permission)
    assert len(permission_routes) >= 10
    named = {r.permission for _, _, r, _ in permission_routes}
    assert named - set(PermissionTable.core().names()), "no plugin route"
    mismatches = []
    csrf = await console_csrf(demo)
    for role in ROLE_TEMPLATES:
        headers = await demo.headers(role) | csrf
        granted = table.template(role)
        for method, path, rule, names_record in routes:
            if rule.public:
                continue  # the test above: no token needed, none asked for
            if rule.access is Access.link:
                # A link route takes no bearer token as a credential: every role, holding
                # no link, gets the bad link's 404 (tests/plugins/retention: the page).
                refused = await demo.client.request(method, path, headers=headers, json={})
                if refused.status_code != 404:
                    mismatches.append((role, method, path, rule, refused.status_code))
                continue
            # A session route (log out) ends the session it is called with: give it its own.
            session = rule.access is Access.session
            caller = (await _fresh_headers(demo, role)) | csrf if session else headers
            response = await demo.client.request(method, path, headers=caller, json={})
            allowed = rule.access in (Access.authenticated, Access.session) or (
                rule.access is Access.permission and rule.permission in granted
            )
            # Then a granted role is never refused: a read without an id in its path is a
            # 200, a read of the sample id is anything but 403 (a 404, as it names no row),
            # a write gets 4xx on bad input at most; a role without the permission, and
            # every tenant role on a platform route or an undeclared one, gets 403.
            denied = response.status_code == 403
            read_failed = method == "GET" and (
                response.status_code >= 500 if names_record else response.status_code != 200
            )
            if allowed == denied or (allowed and read_failed) or response.status_code >= 500:
                mismatches.append((role, method, path, rule, response.status_code))
    assert mismatches == []
