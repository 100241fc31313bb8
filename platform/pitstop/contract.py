"""The OpenAPI document states the real contract: every problem an operation can answer.

Client generators and fuzzers trust the document; when it lists only the 2xx, every 401,
404 or 422 looks like a bug and every generated client has to guess the error shape. So
each operation documents, as ``application/problem+json`` with the :class:`ProblemDetails`
schema, the statuses that apply to it (derived from what the handler is: public or not,
with path parameters or not, writing or reading, with a body or not), and request bodies
that refuse unknown fields say ``additionalProperties: false``.

The statuses are derived, not written on each handler, so a new route is documented the
day it is added; ``make fuzz`` (schemathesis) fails on any status missing here.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from pitstop.errors import PROBLEM_JSON


class FieldError(msgspec.Struct):
    field: str
    """Where: a body path (``lines[0].kind``), a parameter name, or ``body``."""
    message: str
    """The rule broken; never the submitted value."""


class ProblemDetails(msgspec.Struct):
    """RFC 9457 problem details; ``code`` is stable, ``detail`` is for people."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_WHY = {
    400: "The request is malformed: the body is not JSON, or is nested too deeply.",
    401: "No valid bearer token (or wrong credentials).",
    403: "The caller's role lacks the permission, or the route is for another kind of caller.",
    404: "No such resource for this tenant (another tenant's ids look the same).",
    409: "The change conflicts with the current state.",
    410: "The signed link has expired.",
    422: "A field or parameter breaks a rule (including a NUL character anywhere).",
    429: "Too many attempts; retry later.",
}


def is_public(handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get("public"))


def is_link(handler: HTTPRouteHandler) -> bool:
    """A plugin's signed-link page: the token in its path is the credential, not a bearer."""
    return bool(handler.opt.get("link"))


def problem_statuses(handler: HTTPRouteHandler, route: HTTPRoute, plugin: bool) -> list[int]:
    """The 4xx an operation can answer, from what the handler is.

    ``plugin``: the route belongs to a plugin, which is a 404 for a tenant that has it off.
    A handler whose body names records (a customer id) adds ``opt={"problems": (404,)}``.
    """
    writes = bool(set(handler.http_methods) & WRITES)
    parameters = handler.parsed_fn_signature.parameters
    statuses = {422, *handler.opt.get("problems", ())}
    if parameters:
        statuses.add(400)
    if is_link(handler):
        statuses |= {410, 429}  # expired; opened too often (access/links.py)
    elif not is_public(handler) or writes:  # a public write is a login: wrong or locked out
        statuses |= {401, 403}
    if route.path_parameters or plugin:
        statuses.add(404)
    if writes:
        statuses.add(409)
    if (is_public(handler) and writes) or "q" in parameters:
        statuses.add(429)
    return sorted(statuses)


def document_problems(app: Litestar, plugin_prefixes: tuple[str, ...] = ()) -> None:
    """Add the problem responses (and bearer security) to every operation of ``app``.

    Runs after the app is assembled and before the document is first built (it is built
    lazily), so it sees core and plugin routes alike.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        plugin = any(route.path == p or route.path.startswith(f"{p}/") for p in plugin_prefixes)
        for handler in route.route_handlers:
            if not handler.include_in_schema or "OPTIONS" in handler.http_methods:
                continue
            responses = dict(handler.responses or {})
            for status in problem_statuses(handler, route, plugin):
                responses.setdefault(
                    status,
                    ResponseSpec(
                        data_container=ProblemDetails,
                        description=_WHY[status],
                        media_type=PROBLEM_JSON,
                        generate_examples=False,
                    ),
                )
            handler.responses = responses
            if not is_public(handler) and not is_link(handler) and not handler.security:
                handler.security = [{"bearer": []}]


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Say ``additionalProperties: false`` for Structs that refuse unknown fields."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        config = getattr(field_definition.type_, "__struct_config__", None)
        if config is not None and config.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
