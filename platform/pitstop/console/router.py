"""The console as one router, mounted by ``create_app`` at ``/console``.

What every console route shares is set here once: the permission guard (each page still
declares its own rule in ``opt``, checked at start-up like the API's), the session cookie
as a credential (``identity.edge.COOKIE_CREDENTIAL``), CSRF on every unsafe method, the
security headers (a Content-Security-Policy with no inline script), the ``desk``
dependency, and errors shown as pages. Nothing here is in the OpenAPI document.

CSRF is Litestar's double-submit middleware, scoped to this router: a random token,
HMAC-signed with a key derived from the deployment secret, in an HttpOnly cookie and in
every form (``csrf_input``); a post whose two copies do not match is a 403 page. It needs
no server state, it also guards the sign-in form (login CSRF), and the API, which takes
no cookie, is untouched. docs/console.md says why this over a session-bound token.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from pitstop.console.audit import AuditPages
from pitstop.console.front_desk import FrontDeskController
from pitstop.console.hq import PluginsPages
from pitstop.console.kpi_board import KpiPages
from pitstop.console.orders import OrdersController
from pitstop.console.people import ApiKeyPages
from pitstop.console.plugin_pages import plugin_page_routers, plugin_templates
from pitstop.console.problems import EXCEPTION_HANDLERS, SECURITY_HEADERS
from pitstop.console.roles import RolePages
from pitstop.console.session import ACCESS_COOKIE, SessionController
from pitstop.console.staff import StaffPages
from pitstop.console.stores import StoresPages
from pitstop.console.view import provide_desk
from pitstop.db.engine import SessionFactory
from pitstop.identity.edge import COOKIE_CREDENTIAL
from pitstop.plugin_host.manager import PluginHost
from pitstop.settings import Settings

HERE = Path(__file__).parent
CSRF_COOKIE = "pitstop_csrf"


def template_config(host: PluginHost | None = None) -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 with autoescaping and the i18n extension (the pages pass ``gettext``); the
    core's templates, then each plugin's as ``<plugin>/<file>``."""
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), plugin_templates(host)]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def csrf_config(settings: Settings) -> CSRFConfig:
    key = hmac.new(settings.secret_key.encode(), b"console-csrf", hashlib.sha256).hexdigest()
    return CSRFConfig(
        secret=key,
        cookie_name=CSRF_COOKIE,
        cookie_path="/console",
        cookie_secure=not settings.embedded,
        cookie_httponly=True,
        cookie_samesite="lax",
        header_name="x-csrftoken",
    )


def console_router(
    settings: Settings, guard: Any, host: PluginHost, sessions: SessionFactory
) -> Router:
    static = create_static_files_router(
        path="/static",
        directories=[HERE / "static"],
        opt={"public": True},
        include_in_schema=False,
        name="console-static",
    )
    return Router(
        path="/console",
        route_handlers=[
            SessionController,
            FrontDeskController,
            OrdersController,
            PluginsPages,
            AuditPages,
            KpiPages,
            StoresPages,
            StaffPages,
            RolePages,
            ApiKeyPages,
            *plugin_page_routers(host, sessions),
            static,
        ],
        guards=[guard],
        dependencies={"desk": Provide(provide_desk)},
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf_config(settings))],
        exception_handlers=EXCEPTION_HANDLERS,
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        opt={COOKIE_CREDENTIAL: ACCESS_COOKIE},
        include_in_schema=False,
    )
