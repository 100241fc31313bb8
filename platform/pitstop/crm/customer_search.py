"""Finding customers: what a front-desk query is compared with, and the list's statement.

A query is read by its shape (a phone, four digits, a plate, a VIN, else a name prefix) and
compared only with the columns that shape names, so each lookup is an index probe. The
classes a query targets decide whether a masked role may run it at all
(:func:`searched_classes`): a search must never reveal what the mask hides.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, exists, func, or_, select

from pitstop.access.pii import PIIClass
from pitstop.crm.customer_filters import CustomerFilters, conditions, of_store
from pitstop.crm.customers import lifecycle_filter
from pitstop.crm.internal import internal_customer_id
from pitstop.crm.models import Customer, Vehicle
from pitstop.crm.validators import looks_like_phone, looks_like_plate
from pitstop.errors import Unprocessable
from pitstop.personal_data import find

_VIN_QUERY = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def search_keys(q: str) -> list[tuple[PIIClass, ColumnElement[bool]]]:
    """What ``q`` is compared with, by PII class: exact phone, last four digits, plate,
    VIN, or else a name prefix. The class says what an answer could reveal."""
    text = q.strip()
    if not text:
        raise Unprocessable.field("q", "must not be empty")
    keys: list[tuple[PIIClass, ColumnElement[bool]]] = []
    phone = looks_like_phone(text)
    if phone is not None:
        keys.append((PIIClass.phone, Customer.phone == phone))
    if re.fullmatch(r"\d{4}", text):
        keys.append((PIIClass.phone, Customer.phone_last4 == text))
    plate = looks_like_plate(text)
    if plate is not None:
        owners = select(Vehicle.customer_id).where(Vehicle.plate == plate)
        keys.append((PIIClass.plate, Customer.id.in_(owners)))
    if _VIN_QUERY.match(text.upper()):
        owners = select(Vehicle.customer_id).where(Vehicle.vin == text.upper())
        keys.append((PIIClass.vin, Customer.id.in_(owners)))
    if not keys:
        keys.append((PIIClass.name, Customer.name.startswith(text, autoescape=True)))
    return keys


def matches(q: str) -> ColumnElement[bool]:
    return or_(*(condition for _, condition in search_keys(q)))


def searched_classes(q: str | None, tag: str | None) -> set[str]:
    """The PII classes a customer search targets: the columns ``q`` is compared with, and
    whatever the free-text detectors find in ``q`` and ``tag`` (tags are free text)."""
    classes: set[str] = set()
    if q is not None:
        classes |= {str(pii_class) for pii_class, _ in search_keys(q)}
        classes |= {f.pii_class for f in find(q)}
    if tag:
        classes |= {f.pii_class for f in find(tag)}
    return classes


def tag_filter(tag: str, dialect: str) -> ColumnElement[bool]:
    """Tags live in a JSON list: containment on PostgreSQL (JSONB), json_each on SQLite."""
    if dialect == "postgresql":
        return Customer.tags.op("@>")(func.jsonb_build_array(tag))
    each = func.json_each(Customer.tags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == tag))


def search_statement(
    *,
    q: str | None,
    tag: str | None,
    store_id: uuid.UUID | None,
    lifecycle: str | None,
    today: dt.date,
    dialect: str,
    filters: CustomerFilters | None = None,
    timezone: str = "Asia/Shanghai",
    plugin_conditions: Sequence[ColumnElement[bool]] = (),
) -> Select[Customer]:
    """Every filter AND-ed (``crm/customer_filters.py`` for the classifications); the
    internal customer only when ``filters.internal`` asks for it, and then alone."""
    stock = internal_customer_id()
    only_stock = filters is not None and filters.internal is True
    statement = select(Customer).where(
        Customer.id == stock if only_stock else Customer.id != stock, *plugin_conditions
    )
    if q is not None:
        statement = statement.where(matches(q))
    if tag:
        statement = statement.where(tag_filter(tag, dialect))
    if store_id is not None:
        statement = statement.where(of_store(store_id))
    if filters is not None:
        statement = statement.where(*conditions(filters, timezone))
    if lifecycle:
        statement = statement.where(lifecycle_filter(lifecycle, today))
    return statement
