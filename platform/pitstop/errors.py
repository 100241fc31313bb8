"""The one exception-to-HTTP mapper: every error leaves as RFC 9457 problem details.

Handlers raise :class:`ApiError` (or a subclass) with a stable ``code``; request bodies that
fail to decode come from Litestar's ``ValidationException`` and are re-shaped so each bad
field is named. Anything unexpected becomes a 500 whose body carries only the request id:
no stack trace, no SQL, no personal data ever reaches a client.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)

from pitstop.db.tenant_context import TenantContextMissing
from pitstop.wording import (
    SOURCE_LANGUAGE,
    WORDING_KEY,
    OwnMessages,
    localized,
    reader_language,
)

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("pitstop.errors")


class ApiError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"
    own: OwnMessages | None = None
    """The words of the plugin that refused inside a core route (a code it would not
    redeem), set by the host: its problem document is worded as the plugin's own routes'."""

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
    language: str = SOURCE_LANGUAGE,
    own: OwnMessages | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """An RFC 9457 problem document; its human parts in ``language`` (``pitstop.wording``:
    the code, the fields and the extras stay as they are)."""
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
    if language != SOURCE_LANGUAGE:
        body = localized(body, language, own)
        headers = {**(headers or {}), "Content-Language": language.replace("_", "-")}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return problem(
        exc.status,
        exc.code,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        language=reader_language(request.scope),
        own=exc.own or own_messages(request),
        **exc.extra,
    )


def own_messages(request: Request[Any, Any, Any]) -> OwnMessages | None:
    """A plugin route's own messages (``PluginInfo.messages``, SDK 1.5), if it is one."""
    try:
        own = request.route_handler.opt.get(WORDING_KEY)
    except Exception:  # no handler resolved (routing failed): the kernel's words only
        return None
    return own if isinstance(own, OwnMessages) else None


NOT_BLANK = r"\S"
"""The pattern of every name-like field: at least one character that is not whitespace."""
_AT = re.compile(r" - at `\$\.?(.*)`$")
_ENUM = re.compile(r"^Invalid enum value\b")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field\b")
_QUOTED = re.compile(r"'[^']*'")
_STEP = re.compile(r"\[(\d+|\.\.\.)\]|\.?([^.\[]+)")


def split_msgspec_error(message: str, target: Any = None) -> tuple[str, str]:
    """msgspec says ``Expected `str`, got `int` - at `$.stores[0].code```: (path, rule).

    The rule never carries the submitted value (it may be personal data): an enum error
    lists the allowed values when ``target`` (the type decoded into) names them, and an
    unknown key is reported on its object, since the key itself was typed by the client.
    The path is "" when msgspec names none.
    """
    match = _AT.search(message)
    path, text = (match.group(1), message[: match.start()]) if match else ("", message)
    if _ENUM.match(text):
        allowed = _allowed_values(target, path)
        text = f"must be one of: {', '.join(allowed)}" if allowed else "is not an allowed value"
    elif _UNKNOWN_FIELD.match(text):
        text = "unknown fields are not allowed"
    elif text.endswith(f"matching regex {NOT_BLANK!r}"):
        text = "must not be blank"
    elif "matching regex" not in text:
        text = _QUOTED.sub("the value", text)
    return path, text


def _allowed_values(target: Any, path: str) -> list[str]:
    """The enum or literal values at ``path`` of ``target`` (empty if it cannot tell)."""
    if target is None:
        return []
    try:
        node: Any = msgspec.inspect.type_info(target)
    except (TypeError, ValueError):
        return []
    for index, name in _STEP.findall(path):
        node = _step(node, name or index)
        if node is None:
            return []
    for leaf in _members(node):
        if isinstance(leaf, msgspec.inspect.EnumType):
            return [str(m.value) for m in leaf.cls]
        if isinstance(leaf, msgspec.inspect.LiteralType):
            return [str(v) for v in leaf.values]
    return []


def _members(node: Any) -> list[Any]:
    return list(node.types) if isinstance(node, msgspec.inspect.UnionType) else [node]


def _step(node: Any, part: str) -> Any:
    for member in _members(node):
        if isinstance(member, msgspec.inspect.StructType):
            for field in member.fields:
                if field.encode_name == part:
                    return field.type
        elif isinstance(member, msgspec.inspect.DictType):
            return member.value_type
        elif isinstance(member, msgspec.inspect.ListType | msgspec.inspect.SetType):
            return member.item_type
    return None


def _body_type(request: Request[Any, Any, Any], source: str) -> Any:
    """The type a body (or a query/path parameter) was decoded into, for allowed values."""
    try:
        parameters = request.route_handler.parsed_fn_signature.parameters
    except Exception:  # no handler resolved (routing failed): no type to consult
        return None
    field = parameters.get(source)
    return field.annotation if field is not None else None


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Name each bad field and the rule it broke; never echo the submitted value."""
    errors = validation_errors(request, exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "validation_failed", detail, errors=errors,
                   language=reader_language(request.scope), own=own_messages(request))  # fmt: skip


def validation_errors(
    request: Request[Any, Any, Any], exc: ValidationException
) -> list[dict[str, str]]:
    """``{field, message}`` of each input the framework could not decode, by the name the
    client used and the rule it broke (the API's problem document, the console's page)."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or "body")
            body = item.get("source") == "body"
            target = _body_type(request, "data" if body else key.split(".")[0])
            path = "$." + key if body and key != "data" else "$"
            _, rule = split_msgspec_error(f"{item.get('message', 'invalid')} - at `{path}`", target)
            field = "body" if key == "data" else _query_name(request, key)
            errors.append({"field": field, "message": rule})
    if not errors:
        errors = [{"field": "body", "message": str(exc.detail)}]
    return errors


def _query_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client used: ``from`` for a parameter the handler calls ``start``."""
    try:
        field = request.route_handler.parsed_fn_signature.parameters.get(key)
    except Exception:  # no handler resolved: the key is all there is
        return key
    definition = getattr(field, "kwarg_definition", None)
    return str(getattr(definition, "query", None) or getattr(definition, "name", None) or key)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    status = exc.status_code
    # Keep the exception's headers: a 405 must say which methods are allowed (``Allow``).
    return problem(status, codes.get(status, "http_error"), str(exc.detail), headers=exc.headers,
                   language=reader_language(request.scope))  # fmt: skip


def _tenant_missing(request: Request[Any, Any, Any], exc: TenantContextMissing) -> Response[Any]:
    log.error("tenant_context_missing", path=request.url.path)
    return problem(403, "tenant_required", "this request has no tenant",
                   language=reader_language(request.scope))  # fmt: skip


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request.scope.get("state", {}).get("request_id", "")
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem(500, "internal_error", f"unexpected error; request id {request_id}",
                   language=reader_language(request.scope))  # fmt: skip


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
