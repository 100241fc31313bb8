"""The filtered customer list as CSV, streamed, masked by the reader's role.

A call list for a campaign ("sleeping customers with consent in Shanghai") is the customer
list with the same filters, written as CSV a page at a time: each page is one keyset query
and one :func:`~pitstop.crm.customers.derive` call, so memory holds one page whatever the
number of customers. Personal values go through the same encoders as JSON responses
(``Sensitive`` and ``FreeText``): a role that sees phones masked exports them masked.
The rows are read in a session of their own, opened while the response streams (the
request's session has committed by then); the tenant and the masking policy are the
request's, which the edge keeps in context until the last byte is sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.masking import FreeText, Sensitive, encode_free_text, encode_sensitive
from pitstop.crm.customers import Derived, age_band, derive
from pitstop.crm.models import Customer
from pitstop.pagination import MAX_LIMIT, keyset

PAGE = MAX_LIMIT
COLUMNS = (
    "id",
    "name",
    "phone",
    "gender",
    "age_band",
    "city",
    "region",
    "usage",
    "occupation",
    "source",
    "home_store_id",
    "marketing_consent",
    "lifecycle",
    "visit_count",
    "total_spend",
    "last_visit_at",
    "segment",
    "r",
    "f",
    "m",
)


def _cell(value: Any) -> str:
    if isinstance(value, Sensitive):
        return encode_sensitive(value) or ""
    if isinstance(value, FreeText):
        return encode_free_text(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def row_of(customer: Customer, derived: Derived) -> list[str]:
    rfm = derived.rfm
    values: list[Any] = [
        customer.id,
        Sensitive(customer.name, "name"),
        Sensitive(customer.phone, "phone") if customer.phone else None,
        customer.gender,
        age_band(customer.birthday),
        FreeText(customer.city) if customer.city else None,
        customer.region,
        customer.usage,
        customer.occupation,
        customer.source,
        customer.home_store_id,
        "yes" if customer.marketing_consent else "no",
        derived.lifecycle,
        derived.visit_count,
        derived.total_spend,
        derived.last_visit_at,
        rfm.segment if rfm else None,
        rfm.r if rfm else None,
        rfm.f if rfm else None,
        rfm.m if rfm else None,
    ]
    return [_cell(v) for v in values]


def _line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue().encode("utf-8")


async def csv_lines(
    sessions: Callable[[], AsyncSession], statement: Select[Customer], today: dt.date
) -> AsyncIterator[bytes]:
    """The header, then the customers page by page (UTF-8 with a BOM, for spreadsheets)."""
    yield "\ufeff".encode() + _line(list(COLUMNS))
    after: str | None = None
    while True:
        async with sessions() as session, session.begin():
            rows = (await session.scalars(keyset(statement, Customer.id, after, PAGE))).all()
            page = rows[:PAGE]
            derived = await derive(session, [c.id for c in page], today)
            chunk = b"".join(_line(row_of(c, derived[c.id])) for c in page)
        yield chunk
        if len(rows) <= PAGE:
            return
        after = str(page[-1].id)
