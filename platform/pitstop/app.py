"""``create_app``: the single assembly point of the HTTP API.

Everything the API is made of is wired here and only here: core routers, auth
middleware, the exception mapper, OpenAPI, and (later) plugin routers. A test builds its
own app from its own :class:`~pitstop.runtime.Runtime`, so nothing leaks between tests.
"""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

import pitstop
from pitstop.access import links
from pitstop.access.controllers import AuditController
from pitstop.access.masking import TYPE_ENCODERS, SensitiveSchemaPlugin
from pitstop.access.principal import Principal
from pitstop.access.route_access import check_routes
from pitstop.console.router import console_router, template_config
from pitstop.contract import StrictStructSchemaPlugin, document_problems
from pitstop.crm.controllers.customers import CustomersController
from pitstop.crm.controllers.orders import ServiceOrdersController
from pitstop.crm.controllers.vehicles import VehiclesController
from pitstop.deps import dependencies
from pitstop.errors import EXCEPTION_HANDLERS
from pitstop.events.controllers import DeliveriesController
from pitstop.events.types_controller import EventTypesController
from pitstop.identity.authenticate import Authenticator
from pitstop.identity.controllers.api_keys import ApiKeysController
from pitstop.identity.controllers.auth import AuthController
from pitstop.identity.controllers.roles import RolesController
from pitstop.identity.controllers.staff import StaffController
from pitstop.identity.edge import EdgeMiddleware, permission_guard
from pitstop.inputs import CheckedRequest, NulGuardMiddleware
from pitstop.insights.controllers import InsightsController
from pitstop.logs import configure_logging
from pitstop.messaging.controllers import (
    ConsentsController,
    MessagesController,
    TemplatesController,
)
from pitstop.messaging.reconcile import ReconcileController
from pitstop.messaging.tenant_rules import MessageRulesController
from pitstop.messaging.unsubscribe_api import InboundController, UnsubscribeController
from pitstop.plugin_host.controllers import PluginsController
from pitstop.plugin_host.event_types import catalog_of
from pitstop.plugin_host.routing import plugin_routers
from pitstop.provisioning.controllers import PlatformTenantsController
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.system import apidocs
from pitstop.system.access_log import AccessLog
from pitstop.system.health import health, ready
from pitstop.tenancy.controllers import StoresController


def api_router() -> Router:
    """Everything under ``/api/v1``; each domain contributes its controllers."""
    return Router(
        path="/api/v1",
        route_handlers=[
            AuthController,
            StaffController,
            RolesController,
            ApiKeysController,
            AuditController,
            StoresController,
            PlatformTenantsController,
            CustomersController,
            VehiclesController,
            ServiceOrdersController,
            InsightsController,
            ConsentsController,
            TemplatesController,
            MessagesController,
            ReconcileController,
            MessageRulesController,
            InboundController,
            UnsubscribeController,
            PluginsController,
            DeliveriesController,
            EventTypesController,
        ],
        guards=[permission_guard],
    )


def core_dependencies(runtime: Runtime) -> dict[str, Provide]:
    """The providers of :mod:`pitstop.deps`, given this runtime's collaborators."""
    return dependencies(
        settings=runtime.settings,
        sessions=runtime.sessions,
        clock=runtime.clock,
        permissions=runtime.permissions,
        plugins=runtime.plugins,
        dispatch=runtime.dispatch,
        engine=runtime.engine,
        broker=runtime.broker,
        event_catalog=catalog_of(runtime.plugins.plugins),
    )


def edge_middleware(runtime: Runtime) -> DefineMiddleware:
    """The edge wall, with what it needs to turn a bearer credential into a principal."""
    authenticate = Authenticator(
        sessions=runtime.sessions,
        secret_key=runtime.settings.secret_key,
        clock=runtime.clock,
    )
    secret = runtime.settings.secret_key

    def open_link(token: str, plugin: str, purpose: str) -> Principal:
        return links.link_principal(secret, token, runtime.clock(), plugin, purpose)

    shared = runtime.settings.is_postgres
    return DefineMiddleware(
        EdgeMiddleware,
        authenticate=authenticate,
        open_link=open_link,
        sessions=runtime.sessions if shared else None,
    )


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Litestar:
    if runtime is None:
        runtime = Runtime.build(settings or Settings.from_env())
    configure_logging(runtime.settings)
    app = Litestar(
        route_handlers=[
            health,
            ready,
            apidocs.assets_router(),
            api_router(),
            *plugin_routers(runtime.plugins, runtime.sessions),
            console_router(runtime.settings, permission_guard, runtime.plugins, runtime.sessions),
        ],
        template_config=template_config(runtime.plugins),
        dependencies=core_dependencies(runtime),
        request_class=CheckedRequest,
        middleware=[NulGuardMiddleware, edge_middleware(runtime)],
        type_encoders=TYPE_ENCODERS,
        plugins=[SensitiveSchemaPlugin(), StrictStructSchemaPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Pitstop API",
            version=pitstop.__version__,
            path="/schema",
            render_plugins=apidocs.render_plugins(),
            openapi_router=Router(
                "/schema", route_handlers=[], include_in_schema=False, opt={"public": True}
            ),
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        on_shutdown=[runtime.close],
        debug=False,
        # configure_logging owns the root logger: Litestar's default config would replace
        # its handler with one whose tracebacks print the values bound into failed SQL.
        logging_config=None,
    )
    check_routes(app, runtime.permissions, permission_guard)  # deny by default, at start-up
    document_problems(app, tuple(f"/api/v1/{name}" for name in runtime.plugins.plugins))
    # Outermost, around routing itself, so refused and unknown requests are logged too.
    app.asgi_handler = AccessLog(app.asgi_handler)
    return app
