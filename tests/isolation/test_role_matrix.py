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
from tests.support.demo import Demo

SAMPLE = str(uuid.UUID(int=1))


def guarded_routes(app: Litestar) -> list[tuple[str, str, str]]:
    routes = []
    for route in app.routes:
        for method, entry in getattr(route, "route_handler_map", {}).items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            permission = handler.opt.get("permission")
            if permission is None or method in ("HEAD", "OPTIONS"):
                continue
            path = re.sub(r"\{[^}]+\}", SAMPLE, route.path)
            routes.append((method, path, permission))
    return sorted(routes)


async def test_each_role_passes_the_guard_exactly_where_the_table_grants(
    demo: Demo, app: Litestar
) -> None:
    table = PermissionTable.core()
    routes = guarded_routes(app)
    assert len(routes) >= 10
    mismatches = []
    for role in ROLE_TEMPLATES:
        headers = await demo.headers(role)
        granted = table.template(role)
        for method, path, permission in routes:
            response = await demo.client.request(method, path, headers=headers, json={})
            allowed = permission in granted
            # Then a granted role is never refused (2xx for reads, 4xx on bad input at most),
            # and a role without the permission always gets 403.
            denied = response.status_code == 403
            if allowed == denied or (allowed and method == "GET" and response.status_code != 200):
                mismatches.append((role, method, path, permission, response.status_code))
    assert mismatches == []
