"""``create_app``: the single assembly point of the HTTP API.

Everything the API is made of is wired here and only here: core routers, auth
middleware, the exception mapper, OpenAPI, and (later) plugin routers. A test builds its
own app from its own :class:`~pitstop.runtime.Runtime`, so nothing leaks between tests.
"""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

import pitstop
from pitstop.access.controllers import AuditController
from pitstop.access.masking import TYPE_ENCODERS, SensitiveSchemaPlugin
from pitstop.access.route_access import check_routes
from pitstop.contract import StrictStructSchemaPlugin, document_problems
from pitstop.crm.api_customers import CustomersController
from pitstop.crm.api_orders import ServiceOrdersController
from pitstop.crm.api_vehicles import VehiclesController
from pitstop.deps import DEPENDENCIES, delivery_dependencies
from pitstop.errors import EXCEPTION_HANDLERS
from pitstop.events.controllers import DeliveriesController
from pitstop.hooks.controllers import PluginsController
from pitstop.hooks.routing import plugin_routers
from pitstop.identity.controllers import AuthController, StaffController
from pitstop.identity.edge import EdgeMiddleware, permission_guard
from pitstop.identity.keys_and_roles import ApiKeysController, RolesController
from pitstop.inputs import CheckedRequest, NulGuardMiddleware
from pitstop.logs import configure_logging
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.system import apidocs
from pitstop.system.access_log import AccessLog
from pitstop.system.health import health, ready
from pitstop.tenancy.controllers import PlatformTenantsController, StoresController


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
            PluginsController,
            DeliveriesController,
        ],
        guards=[permission_guard],
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
            *plugin_routers(runtime.plugins),
        ],
        state=State({"runtime": runtime}),
        dependencies={
            **DEPENDENCIES,
            **delivery_dependencies(
                plugins=runtime.plugins,
                permissions=runtime.permissions,
                dispatch=runtime.dispatch,
                engine=runtime.engine,
                broker=runtime.broker,
            ),
        },
        request_class=CheckedRequest,
        middleware=[NulGuardMiddleware, EdgeMiddleware],
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
