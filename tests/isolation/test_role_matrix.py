"""Role × endpoint matrix, generated from the permission table and the app's routes.

Every route that declares a permission is called by every role template: the role gets
past the guard exactly where the table grants the permission, and 403 elsewhere. A new
route or permission joins the matrix without anyone editing this file.
"""

from __future__ import annotations

import re
import uuid

from litestar import Litestar

from pitstop.access.permissions import ROLE_TEMPLATES, PermissionTable
from pitstop.runtime import Runtime
from tests.support.demo import Demo

SAMPLE = str(uuid.UUID(int=1))


def guarded_routes(app: Litestar) -> list[tuple[str, str, str, bool]]:
    """(method, path with a sample id, permission, whether the path names a record)."""
    routes = []
    for route in app.routes:
        for method, entry in getattr(route, "route_handler_map", {}).items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            permission = handler.opt.get("permission")
            if permission is None or method in ("HEAD", "OPTIONS"):
                continue
            path = re.sub(r"\{[^}]+\}", SAMPLE, route.path)
            routes.append((method, path, permission, path != route.path))
    return sorted(routes)


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
    routes = guarded_routes(app)
    assert len(routes) >= 10
    assert {p for _, _, p, _ in routes} - set(PermissionTable.core().names()), "no plugin route"
    mismatches = []
    for role in ROLE_TEMPLATES:
        headers = await demo.headers(role)
        granted = table.template(role)
        for method, path, permission, names_record in routes:
            response = await demo.client.request(method, path, headers=headers, json={})
            allowed = permission in granted
            # Then a granted role is never refused: a read without an id in its path is a
            # 200, a read of the sample id is anything but 403 (a 404, as it names no row),
            # a write gets 4xx on bad input at most; a role without the permission gets 403.
            denied = response.status_code == 403
            read_failed = method == "GET" and (
                response.status_code >= 500 if names_record else response.status_code != 200
            )
            if allowed == denied or (allowed and read_failed) or response.status_code >= 500:
                mismatches.append((role, method, path, permission, response.status_code))
    assert mismatches == []
