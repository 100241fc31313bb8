"""The one exception-to-HTTP mapper: every error leaves as RFC 9457 problem details.

Handlers raise :class:`ApiError` (or a subclass) with a stable ``code``; request bodies that
fail to decode come from Litestar's ``ValidationException`` and are re-shaped so each bad
field is named. Anything unexpected becomes a 500 whose body carries only the request id:
no stack trace, no SQL, no personal data ever reaches a client.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)

from pitstop.tenancy.context import TenantContextMissing

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("pitstop.errors")


class ApiError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.status = status or self.status
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(ApiError):
    status, code, title = 422, "validation_failed", "Invalid input"

    @classmethod
    def field(cls, field: str, message: str, code: str = "validation_failed") -> Unprocessable:
        return cls(f"{field}: {message}", code=code, errors=[{"field": field, "message": message}])


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Forbidden"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Not authenticated"


class TooManyRequests(ApiError):
    status, code, title = 429, "too_many_requests", "Too many requests"


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return problem(
        exc.status,
        exc.code,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        **exc.extra,
    )


_FIELD_RE = re.compile(r"`\$\.?([^`]*)`")
_AT = re.compile(r" - at `\$\.?(.*)`$")


def split_msgspec_error(message: str) -> tuple[str, str]:
    """msgspec says ``Expected `str`, got `int` - at `$.stores[0].code```: (path, problem).

    Manifests and plugin settings both name the bad key this way; the path is "" when
    msgspec names none.
    """
    match = _AT.search(message)
    if match:
        return match.group(1), message[: match.start()]
    field_match = re.search(r"field `([^`]+)`", message)
    return (field_match.group(1) if field_match else "", message)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Name each bad field; never echo the submitted value (it may be personal data)."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", "invalid"))
            match = _FIELD_RE.search(message)
            field = match.group(1) if match else str(item.get("key") or "body")
            errors.append({"field": field or "body", "message": _FIELD_RE.sub("", message)})
    if not errors:
        errors = [{"field": "body", "message": str(exc.detail)}]
    detail = "; ".join(f"{e['field']}: {e['message'].rstrip(' -')}" for e in errors)
    return problem(422, "validation_failed", detail, errors=errors)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    status = exc.status_code
    return problem(status, codes.get(status, "http_error"), str(exc.detail))


def _tenant_missing(request: Request[Any, Any, Any], exc: TenantContextMissing) -> Response[Any]:
    log.error("tenant_context_missing", path=request.url.path)
    return problem(403, "tenant_required", "this request has no tenant")


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request.scope.get("state", {}).get("request_id", "")
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem(500, "internal_error", f"unexpected error; request id {request_id}")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    ValidationException: _validation,
    NotAuthorizedException: _http,
    PermissionDeniedException: _http,
    NotFoundException: _http,
    HTTPException: _http,
    TenantContextMissing: _tenant_missing,
    Exception: _internal,
}
