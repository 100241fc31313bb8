"""The API docs page at ``/schema``, served whole by the app.

Litestar's render plugins load their JavaScript and CSS from a CDN by default, so the
page was blank on a shop's network without internet access and on every air-gapped
install. Swagger UI's files come from the ``swagger-ui-bundle`` package and are served
from ``/schema/assets``; nothing on the page is fetched from outside the deployment.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from litestar import Router
from litestar.openapi.plugins import OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS_PATH = "/schema/assets"


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI at ``/schema`` (and ``/schema/swagger``), with local assets."""
    return [
        SwaggerRenderPlugin(
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        )
    ]


def assets_router() -> Router:
    """The bundle's files; public, like the document they render (no tenant data)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[Path(swagger_ui_bundle.swagger_ui_path)],
        include_in_schema=False,
        opt={"public": True},
    )
