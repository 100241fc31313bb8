"""Input rules every request obeys before any handler sees it, and range checks handlers use.

Why an app-wide rule and not per-route checks: a hostile client picks the route. A NUL
character (``\\u0000``) is refused by PostgreSQL's text type (a 500 there) and stored
silently by SQLite (a different truth on each backend), so it is refused on both, in JSON
bodies, query strings and paths, as a 422 naming where it was. A JSON body nested a
thousand deep makes the decoder recurse until Python gives up (a 500); past
:data:`MAX_JSON_DEPTH` it is a 400. Dates far from today overflow when a time zone is
applied or a day is added; handlers pass every client-given date through
:func:`checked_instant` / :func:`checked_day` so such a date is a 422 naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from pitstop.errors import NOT_BLANK, ApiError, Unprocessable, split_msgspec_error

MAX_JSON_DEPTH = 64
"""Deeper than any request shape of the API (the deepest is four) by a wide margin."""
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
"""Dates outside these years are typos or probes; within them no arithmetic overflows."""
MAX_SEARCH_LENGTH = 100
"""Longer than any name, phone, plate or VIN; SQLite refuses LIKE patterns of ~50k."""
SearchText = Annotated[
    str | None,
    QueryParameter(max_length=MAX_SEARCH_LENGTH, description="Search text (at most 100)."),
]
"""``q: SearchText = None``: the cap is enforced and stated in the OpenAPI document."""
NUL = "\x00"


ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
"""Names and titles: a whitespace-only one is a 422 (``must not be blank``)."""
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NOT_BLANK)]
CityName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NOT_BLANK)]


class TooDeep(ApiError):
    status, code, title = 400, "json_too_deep", "Bad request"


def _nul_found(field: str) -> Unprocessable:
    return Unprocessable.field(field, "must not contain the NUL character", code="nul_character")


def _path(parts: tuple[str | int, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "body"


def check_json(value: Any) -> None:
    """Walk a decoded body once: refuse nesting past the limit and NUL in any key or string.

    Iterative, so the walk itself cannot hit the recursion limit it guards against.
    """
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while pending:
        node, where = pending.pop()
        if len(where) > MAX_JSON_DEPTH:
            raise TooDeep(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, str):
            if NUL in node:
                raise _nul_found(_path(where))
        elif isinstance(node, dict):
            for key, item in node.items():
                if NUL in key:
                    raise _nul_found(_path(where))
                pending.append((item, (*where, key)))
        elif isinstance(node, list):
            pending.extend((item, (*where, i)) for i, item in enumerate(node))


class CheckedRequest(Request[Any, Any, Any]):
    """The app's request class: every JSON body passes :func:`check_json` when decoded."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            raise TooDeep(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels") from None
        check_json(value)
        check_strict(self.route_handler, value)
        return value


def check_strict(handler: Any, value: Any) -> None:
    """Decode the body strictly against the handler's ``data`` type, once, for every route.

    Litestar converts bodies leniently (``"10"`` and ``10.0`` become the integer 10). For
    points, money and quantities a guessed number is a wrong number, so core and plugin
    bodies alike are held to JSON's own types here; the lenient pass that follows then has
    nothing left to coerce.
    """
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return
    decoders = handler.resolve_type_decoders()

    def dec_hook(target: Any, raw: Any) -> Any:
        for predicate, decoder in decoders:
            if predicate(target):
                return decoder(target, raw)
        raise NotImplementedError(f"no decoder for {target!r}")

    try:
        msgspec.convert(value, field.annotation, strict=True, dec_hook=dec_hook, str_keys=True)
    except msgspec.ValidationError as exc:
        path, rule = split_msgspec_error(str(exc), field.annotation)
        raise Unprocessable.field(_client_path(path), rule) from None


def _client_path(path: str) -> str:
    """``$.lines[0].quantity`` as the client wrote it: ``lines[0].quantity``."""
    return path.removeprefix("$").removeprefix(".") or "body"


class NulGuardMiddleware:
    """Refuse NUL in the path or any query parameter before routing, auth or a handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if NUL in scope["path"]:
                raise _nul_found("path")
            query = scope.get("query_string", b"")
            if b"%00" in query or b"\x00" in query:
                for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                    if NUL in name or NUL in value:
                        raise _nul_found(name if NUL not in name else "query")
        await self.app(scope, receive, send)


def _years(field: str) -> Unprocessable:
    return Unprocessable.field(
        field, f"must be within the years {EARLIEST_YEAR} to {LATEST_YEAR}", code="out_of_range"
    )


def checked_instant(value: dt.datetime, field: str) -> dt.datetime:
    """``value`` if it and its UTC instant lie within the supported years (naive = UTC)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise _years(field)
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not EARLIEST_YEAR <= aware.astimezone(dt.UTC).year <= LATEST_YEAR:
        raise _years(field)
    return value


def checked_day(value: dt.date, field: str) -> dt.date:
    """``value`` if it lies within the supported years (so a day or a zone more is safe)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise _years(field)
    return value
