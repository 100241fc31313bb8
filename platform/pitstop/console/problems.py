"""Errors as pages: the API's errors, shown to a person in a browser.

The services raise the same :class:`~pitstop.errors.ApiError` for the console as for the
API; here a 404 becomes the "not found" page (another store's order by URL looks exactly
like one that does not exist), a missing or expired session becomes a redirect through the
renew route to the sign-in page, and a refused CSRF token or permission becomes a 403 page.
A refusal of what the reader sent (409, 422) says why, beside the field's name, worded as
the API words it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from pitstop.access.principal import Principal
from pitstop.console.i18n import N_
from pitstop.console.session import renew_url
from pitstop.console.view import Desk, language_of
from pitstop.console.wording import worded
from pitstop.errors import ApiError, own_messages, validation_errors
from pitstop.wording import OwnMessages

HEADLINES = {
    400: N_("The request could not be read."),
    403: N_("You may not do this."),
    404: N_("Not found."),
    405: N_("The request could not be read."),
    409: N_("This cannot be done in the record's current state."),
    422: N_("Some fields need attention."),
    429: N_("Too many requests. Try again later."),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
"""Every console response: no inline script can run, nothing is framed, and pages with
personal data are not kept in a shared cache."""


EXPLAINED = frozenset({400, 409, 422, 429})
"""The statuses whose page says why, in the service's words: what the reader sent or asked
for. A 403 or 404 page stays a headline, so another store's record reads like a missing one."""


def error_page(
    request: Request[Any, Any, Any], status: int, reasons: list[dict[str, str]] | None = None
) -> Response[Any]:
    principal = request.scope.get("user")
    known = principal if isinstance(principal, Principal) else None
    desk = Desk(known, language_of(request), here=request.url.path)
    headline = HEADLINES.get(status, N_("Something went wrong."))
    return Template(
        "error.html",
        context=desk.context(status=status, headline=headline, reasons=reasons or []),
        status_code=status,
        headers=SECURITY_HEADERS,
    )


def _reasons(
    request: Request[Any, Any, Any], said: list[dict[str, str]], own: OwnMessages | None
) -> list[dict[str, str]]:
    """Each field's message, worded for the reader as the API's problem document is: a
    plugin's refusal in the plugin's own words first."""
    language, own = language_of(request), own or own_messages(request)
    return [
        {
            "field": str(error.get("field") or ""),
            "message": worded(str(error.get("message") or ""), language, own),
        }
        for error in said
    ]


def _signed_out(request: Request[Any, Any, Any]) -> Response[Any]:
    """Through renew back to the page asked for (a post's form is not replayed: home)."""
    target = "/console/"
    if request.method == "GET":
        query = request.url.query
        target = request.url.path + (f"?{query}" if query else "")
    return Redirect(renew_url(target), status_code=303, headers=SECURITY_HEADERS)


def api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    if exc.status == 401:
        return _signed_out(request)
    said = exc.errors or [{"message": exc.detail}]
    reasons = _reasons(request, said, exc.own) if exc.status in EXPLAINED else []
    return error_page(request, exc.status, reasons)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 401:
        return _signed_out(request)
    if isinstance(exc, ValidationException):  # a parameter the route could not decode
        return error_page(
            request, exc.status_code, _reasons(request, validation_errors(request, exc), None)
        )
    return error_page(request, exc.status_code)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: api_error,
    # each class the core maps, so the most specific handler (looked up across layers by
    # the exception's class) is the page, never the API's problem JSON
    ValidationException: http_error,
    NotAuthorizedException: http_error,
    PermissionDeniedException: http_error,
    NotFoundException: http_error,
    HTTPException: http_error,
}
