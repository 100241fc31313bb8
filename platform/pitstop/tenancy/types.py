"""A tenant's identifiers and settings, one definition for the API and for manifests.

Both doors into tenancy (``POST /api/v1/platform/tenants`` and ``pitstop tenants apply``)
decode into these types, so neither can store what the other would refuse. A value that
slipped past one door once (a tenant in ``Mars/Base``) stopped the scheduler for every
tenant; the patterns also reach the OpenAPI document, so clients see the same rules.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from pitstop.errors import Unprocessable
from pitstop.inputs import ShortText

Slug = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="lower-case letters, digits and dashes; no dash first or last",
    ),
]
StoreCode = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="letters, digits, '-' or '_'",
    ),
]
CurrencyCode = Annotated[
    str,
    msgspec.Meta(pattern=r"^[A-Z]{3}$", description="an ISO 4217 code such as CNY"),
]
TimeZoneName = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=64, description="an IANA time zone such as Asia/Shanghai"
    ),
]
DisplayName = ShortText


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not a usable time zone, or None; the value itself is not repeated."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "unknown time zone; use an IANA name such as Asia/Shanghai"
    return None


def checked_zone(name: str) -> str:
    """The zone name, or 422 naming ``timezone``: the API's door for :func:`zone_problem`."""
    problem = zone_problem(name)
    if problem is not None:
        raise Unprocessable.field("timezone", problem)
    return name
