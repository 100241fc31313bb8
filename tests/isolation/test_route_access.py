"""Deny by default: a route that declares no access rule never starts, and never answers.

Every handler declares exactly one of ``opt={"permission": "area:action"}``,
``opt={"authenticated": True}``, ``opt={"public": True}`` or ``opt={"platform": True}``
(docs/security/edge.md). ``create_app`` refuses anything else, naming the route, so a
partner learns it the first time the plugin is loaded; and the guard itself answers 403
should an undeclared route ever be mounted some other way.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.testing import AsyncTestClient
from sqlalchemy.pool import NullPool

from pitstop.access.route_access import _problem
from pitstop.app import core_dependencies, create_app, edge_middleware
from pitstop.errors import EXCEPTION_HANDLERS
from pitstop.identity.edge import permission_guard
from pitstop.runtime import Runtime
from pitstop.sdk import PluginInfo, hookimpl, permission
from pitstop.settings import Settings
from tests.support.demo import CHAIN_LOGINS, Demo

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
"""Start-up and guard behaviour, not data: one database is enough."""


def _plugin(name: str, *handlers: Any) -> types.ModuleType:
    """A partner plugin whose routes are ``handlers`` (and whose one permission is name:read)."""
    module = types.ModuleType(name)

    @hookimpl
    def plugin_info() -> PluginInfo:
        grants = {"hq_admin", "technician"}
        return PluginInfo(
            name=name,
            version="0.1",
            title=name,
            permissions=(permission(f"{name}:read", "Read", grants),),
        )

    @hookimpl
    def routes() -> list[Any]:
        return list(handlers)

    module.plugin_info = plugin_info  # type: ignore[attr-defined]
    module.routes = routes  # type: ignore[attr-defined]
    return module


@pytest.fixture
def runtime_with(settings: Settings) -> Iterator[Any]:
    built: list[Runtime] = []

    def build(plugin: types.ModuleType) -> Runtime:
        runtime = Runtime.build(
            settings, extra_plugins=[plugin], installed_plugins=False, poolclass=NullPool
        )
        built.append(runtime)
        return built[-1]

    yield build


@get("/open", sync_to_thread=False)
def open_door() -> dict[str, str]:
    return {"door": "open"}


@ON_SQLITE
def test_a_plugin_route_that_declares_nothing_stops_create_app_naming_it(
    runtime_with: Any,
) -> None:
    # Given a partner plugin with a route that names no permission
    runtime = runtime_with(_plugin("loose", open_door))
    # When the app is assembled, Then it refuses to start, naming the plugin, route and handler
    with pytest.raises(RuntimeError) as refused:
        create_app(runtime=runtime)
    message = str(refused.value)
    assert "plugin loose: GET /api/v1/loose/open" in message
    assert "open_door" in message
    assert 'opt={"permission": "area:action"}' in message


def _handler(name: str, **opt: Any) -> Any:
    @get("/x", opt=dict(opt), sync_to_thread=False, name=name)
    def handler() -> None:
        return None

    return handler


BAD_DECLARATIONS: Mapping[str, tuple[dict[str, Any], str]] = {
    "exclude_from_auth": ({"exclude_from_auth": True}, 'use opt={"public": True}'),
    "two rules": ({"permission": "odd:read", "public": True}, "declares more than one"),
    "unknown permission": ({"permission": "odd:raed"}, "odd:raed, which no one declares"),
    "public plugin route": ({"public": True}, "a plugin route serves a tenant"),
    "platform plugin route": ({"platform": True}, "a plugin route serves a tenant"),
    "empty permission": ({"permission": ""}, "declares no access rule"),
    "link without a token in its path": ({"link": "survey"}, "without {token} in its path"),
}


@ON_SQLITE
@pytest.mark.parametrize("case", list(BAD_DECLARATIONS))
def test_a_wrong_declaration_stops_create_app(runtime_with: Any, case: str) -> None:
    # Given a plugin route with a declaration that cannot be honoured
    opt, reason = BAD_DECLARATIONS[case]
    runtime = runtime_with(_plugin("odd", _handler("odd_x", **opt)))
    # When the app is assembled, Then it refuses, naming the route and the reason
    with pytest.raises(RuntimeError) as refused:
        create_app(runtime=runtime)
    assert "plugin odd: GET /api/v1/odd/x" in str(refused.value)
    assert reason in str(refused.value)


def test_a_core_route_may_not_be_a_link_route() -> None:
    # Given a core route (no plugin owns it) declaring a signed-link page
    handler = _handler("core_link", link="survey")
    # When its rule is checked, Then it is refused, naming why: only a plugin may
    assert _problem(handler, set(), permission_guard) == (
        "is a link route, which only a plugin may declare"
    )


def _bare_app(runtime: Runtime, *handlers: Any) -> Litestar:
    """The edge and the guard around ``handlers``, assembled without create_app's check:
    what would happen if an undeclared route slipped past start-up."""
    return Litestar(
        route_handlers=[
            Router("/api/v1/bare", route_handlers=list(handlers), guards=[permission_guard])
        ],
        state=State({"runtime": runtime}),
        dependencies=core_dependencies(runtime),
        middleware=[edge_middleware(runtime)],
        exception_handlers=EXCEPTION_HANDLERS,
    )


@ON_SQLITE
async def test_the_guard_refuses_a_route_that_declares_nothing(
    demo: Demo, runtime: Runtime
) -> None:
    # Given a route with no declaration mounted behind the edge and the guard
    app = _bare_app(runtime, open_door)
    technician = {"Authorization": f"Bearer {await demo.token(CHAIN_LOGINS['technician'])}"}
    async with AsyncTestClient(app=app) as client:
        # When a technician calls it
        response = await client.get("/api/v1/bare/open", headers=technician)
        # Then it is refused (it answered 200 when routes were allowed by default)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "route_undeclared"
        # And without a token it is 401, as for any non-public route
        assert (await client.get("/api/v1/bare/open")).status_code == 401


@get("/me", opt={"authenticated": True}, sync_to_thread=False)
def who_am_i() -> dict[str, str]:
    return {"ok": "yes"}


@ON_SQLITE
async def test_an_authenticated_route_admits_every_role_but_no_stranger(
    demo: Demo, runtime: Runtime
) -> None:
    # Given a route declared for any signed-in member of a tenant
    app = _bare_app(runtime, who_am_i)
    async with AsyncTestClient(app=app) as client:
        # When every role template calls it, Then each gets through
        for email in CHAIN_LOGINS.values():
            headers = {"Authorization": f"Bearer {await demo.token(email)}"}
            assert (await client.get("/api/v1/bare/me", headers=headers)).status_code == 200
        # And a caller without a token gets 401
        assert (await client.get("/api/v1/bare/me")).status_code == 401
