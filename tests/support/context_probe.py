"""What a request sees of the request context: a probe on the login service.

The probe wraps the real login service, so each ``POST /api/v1/auth/token`` first reports
the context variables the request runs with — every ``pitstop_*`` variable and structlog's
log binding — before logging in as usual. Reading every variable by its prefix (rather
than the ones known today) means a request-scoped variable added later is covered too.
``create_probed_app`` is a uvicorn ``--factory`` for subprocesses; it prints one
``PROBE {json}`` line per login.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar

UNSET = (None, Ellipsis, frozenset())
"""What a variable holds when nothing request-scoped is in it (structlog unbinds with ...)."""

PROBE_PREFIX = "PROBE "


def request_context() -> dict[str, str]:
    """The request-scoped variables that hold something, by name."""
    return {
        var.name: str(value)
        for var, value in contextvars.copy_context().items()
        if var.name.startswith(("pitstop_", "structlog_")) and value not in UNSET
    }


def probed(
    login: Callable[..., Awaitable[Any]], report: Callable[[dict[str, str]], None]
) -> Callable[..., Awaitable[Any]]:
    async def login_reporting_its_context(*args: Any, **kwargs: Any) -> Any:
        report(request_context())
        return await login(*args, **kwargs)

    return login_reporting_its_context


def create_probed_app() -> Litestar:
    from pitstop.app import create_app
    from pitstop.identity.controllers import auth as controllers

    def report(seen: dict[str, str]) -> None:
        print(PROBE_PREFIX + json.dumps(seen, sort_keys=True), flush=True)

    controllers.issue_login_token = probed(controllers.issue_login_token, report)  # type: ignore[assignment]
    return create_app()
