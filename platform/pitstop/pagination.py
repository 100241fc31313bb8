"""Keyset pagination: ``?limit=&after=``, stable order by id (UUIDv7, so by creation too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter
from sqlalchemy import Select

from pitstop.errors import Unprocessable

MAX_LIMIT = 200
Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
]
"""``limit: Limit = 50``: the bounds are enforced and stated in the OpenAPI document."""
T = TypeVar("T")
SelectT = TypeVar("SelectT", bound=Select)


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next: str | None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Unprocessable.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def parse_cursor(after: str | None) -> uuid.UUID | None:
    if after is None or after == "":
        return None
    try:
        return uuid.UUID(after)
    except ValueError:
        raise Unprocessable.field("after", "not a cursor returned by this list") from None


def keyset(statement: SelectT, id_column: Any, after: str | None, limit: int) -> SelectT:
    """Ask for one row more than the page to learn whether there is a next page."""
    cursor = parse_cursor(after)
    if cursor is not None:
        statement = statement.where(id_column > cursor)
    return statement.order_by(id_column).limit(check_limit(limit) + 1)


def page_of(rows: Sequence[Any], limit: int, items: list[T], key: Any) -> Page[T]:
    has_more = len(rows) > limit
    return Page(items=items[:limit], next=str(key(rows[limit - 1])) if has_more else None)
