"""A customer read as a plain row: what a page of customers is built from.

A page of 50 read as ORM entities spent a fifth of the request's CPU making instance
state and identity-map entries that nothing used (issue 21's profile), and a SQLAlchemy
``Row`` read by attribute name costs a mapping lookup per field. :class:`CustomerRow` is a
named tuple of exactly the fields :func:`pitstop.crm.responses.customer_out` shows, selected
through the mapped attributes (so the ORM wall still filters them by tenant), and read by
position. The masking stays in ``customer_out``, which takes either shape.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any, NamedTuple

from sqlalchemy.orm.attributes import InstrumentedAttribute

from pitstop.crm.models import Customer, Gender, Occupation, SourceChannel, UsageType
from pitstop.tenancy.models import RegionClass


class CustomerRow(NamedTuple):
    """The customer's fields a response shows, in the order they are selected."""

    id: uuid.UUID
    name: str
    phone: str | None
    gender: Gender | None
    birthday: dt.date | None
    id_number: str | None
    email: str | None
    address: str | None
    city: str | None
    region: RegionClass | None
    occupation: Occupation
    usage: UsageType
    source: SourceChannel
    home_store_id: uuid.UUID | None
    tags: list[str]
    marketing_consent: bool
    consent_at: dt.datetime | None
    consent_channel: str | None
    erased_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


CustomerRecord = Customer | CustomerRow
"""A customer as an entity (a detail, a change) or as a row (a page): same fields."""


@functools.cache
def customer_columns() -> tuple[InstrumentedAttribute[Any], ...]:
    """``Customer``'s mapped attributes for :class:`CustomerRow`'s fields, in its order.

    The mapped attributes, not the table's columns: the ORM wall filters a statement by
    its entities, and refuses a tenant table named through its ``Table``."""
    return tuple(getattr(Customer, field) for field in CustomerRow._fields)


def customer_row(values: tuple[Any, ...]) -> CustomerRow:
    """The leading values of a row selected with :func:`customer_columns`."""
    return CustomerRow._make(values[: len(CustomerRow._fields)])
