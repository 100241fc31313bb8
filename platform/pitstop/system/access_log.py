"""One access-log line per request, and the request id echoed to the client.

Outermost of all (wrapped around Litestar's own handler in ``create_app``), so a request
refused before routing — an unknown path, a NUL in the query — is logged like any other.
The line carries what an operator needs to follow a request across the API, the worker
and the audit log: the request id, the tenant's slug, the route *template* (never the
path with its ids, never the query), the status and the duration. No personal data and
no credentials: headers and bodies are not read here at all.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from pitstop.logs import request_id_of

log = structlog.get_logger("pitstop.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500  # what the server sends if the app dies before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                request_id=request_id,
                tenant=_tenant_slug(scope),
                method=scope.get("method", "-"),
                route=scope.get("path_template") or "-",
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )


def _tenant_slug(scope: Scope) -> str | None:
    principal: Any = scope.get("user")
    return getattr(principal, "tenant_slug", None)
