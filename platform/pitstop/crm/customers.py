"""Customers: creating and changing them, and what is derived about them (finding them is
``customer_search``).

A customer is the tenant's, not a store's: one customer per phone per tenant, recognised at
every store. Derived figures (visits, spend, last visit, lifecycle, age band) are computed
from orders and vehicles: folded into the customer's own statement (:func:`with_derived`)
on the hot paths, or for a given set of customers in three statements (:func:`derive`), so
a list costs the same number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Row, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pitstop.crm.customer_rows import CustomerRecord, customer_row
from pitstop.crm.internal import refuse_if_internal
from pitstop.crm.models import Customer, CustomerRfm, OrderStatus, ServiceOrder, Vehicle
from pitstop.crm.schemas import CustomerCreate, CustomerPatch, Lifecycle
from pitstop.crm.segments import RfmOut, rfm_of
from pitstop.crm.validators import (
    normalize_email,
    normalize_id_number,
    normalize_phone,
    phone_last4,
)
from pitstop.db.base import new_id
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.events.outbox import emit
from pitstop.tenancy.models import Store

VISIT_STATUSES = (OrderStatus.completed, OrderStatus.refunded)


@dataclass(frozen=True)
class Derived:
    visit_count: int = 0
    total_spend: int = 0
    last_visit_at: dt.datetime | None = None
    lifecycle: Lifecycle = "no_vehicle"
    rfm: RfmOut | None = None


async def get_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """The tenant's customer or 404 (another tenant's id is simply not found)."""
    customer = (
        await session.scalars(select(Customer).where(Customer.id == customer_id))
    ).one_or_none()
    if customer is None:
        raise NotFound("no such customer", code="customer_not_found")
    return customer


async def _check_phone_free(
    session: AsyncSession, phone: str, except_id: uuid.UUID | None = None
) -> None:
    existing = await session.scalar(select(Customer.id).where(Customer.phone == phone))
    if existing is not None and existing != except_id:
        raise Conflict(
            "a customer with this phone exists", code="duplicate_customer", id=str(existing)
        )


async def _check_store(session: AsyncSession, store_id: uuid.UUID | None, field: str) -> None:
    if store_id is None:
        return
    if await session.scalar(select(Store.id).where(Store.id == store_id)) is None:
        raise Unprocessable.field(field, "no such store", code="unknown_store")


def _clean_tags(tags: Sequence[str]) -> list[str]:
    return sorted({t.strip() for t in tags if t.strip()})


async def create_customer(
    session: AsyncSession, data: CustomerCreate, now: dt.datetime
) -> Customer:
    phone = normalize_phone(data.phone)
    await _check_phone_free(session, phone)
    await _check_store(session, data.home_store_id, "home_store_id")
    customer = Customer(
        id=new_id(),  # known now: the event names it, and one flush writes both
        name=data.name.strip(),
        phone=phone,
        phone_last4=phone_last4(phone),
        gender=data.gender,
        birthday=_check_birthday(data.birthday, now),
        id_number=None if data.id_number is None else normalize_id_number(data.id_number),
        email=None if data.email is None else normalize_email(data.email),
        address=data.address,
        city=data.city,
        region=data.region,
        occupation=data.occupation,
        usage=data.usage,
        source=data.source,
        home_store_id=data.home_store_id,
        tags=_clean_tags(data.tags),
        marketing_consent=data.marketing_consent,
        consent_at=now if data.marketing_consent else None,
        consent_channel=data.consent_channel if data.marketing_consent else None,
    )
    session.add(customer)
    return customer


async def register_customer(
    session: AsyncSession, data: CustomerCreate, now: dt.datetime
) -> Customer:
    """A new customer and its ``customer.created`` event, for every door in (API, console).

    The event's flush writes the customer too: one unit of work, not two (issue 21)."""
    customer = await create_customer(session, data, now)
    await emit(
        session,
        "customer.created",
        {
            "customer_id": str(customer.id),
            "home_store_id": str(customer.home_store_id) if customer.home_store_id else None,
            "source": str(customer.source),
            "usage": str(customer.usage),
            "marketing_consent": customer.marketing_consent,
        },
        occurred_at=now,
    )
    return customer


def _check_birthday(birthday: dt.date | None, now: dt.datetime) -> dt.date | None:
    if birthday is not None and not dt.date(1900, 1, 1) <= birthday <= now.date():
        raise Unprocessable.field("birthday", "must be a past date after 1900")
    return birthday


async def update_customer(
    session: AsyncSession, customer: Customer, data: CustomerPatch, now: dt.datetime
) -> list[str]:
    """Apply the fields sent; returns the names of the fields that changed (for the event)."""
    if customer.erased_at is not None:
        raise Conflict("this customer was erased", code="customer_erased")
    refuse_if_internal(customer, "changed")
    values = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "name" in values:
        values["name"] = values["name"].strip()
    if "phone" in values:
        values["phone"] = normalize_phone(values["phone"])
        await _check_phone_free(session, values["phone"], customer.id)
        values["phone_last4"] = phone_last4(values["phone"])
    if values.get("id_number") is not None:
        values["id_number"] = normalize_id_number(values["id_number"])
    if values.get("email") is not None:
        values["email"] = normalize_email(values["email"])
    if "birthday" in values:
        _check_birthday(values["birthday"], now)
    if "home_store_id" in values:
        await _check_store(session, values["home_store_id"], "home_store_id")
    if "tags" in values:
        values["tags"] = _clean_tags(values["tags"])
    if "marketing_consent" in values and values["marketing_consent"] != customer.marketing_consent:
        values["consent_at"] = now
        if not values["marketing_consent"]:
            values["consent_channel"] = None
    changed = [k for k, v in values.items() if getattr(customer, k) != v]
    for key in changed:
        setattr(customer, key, values[key])
    return sorted(k for k in changed if k not in ("phone_last4", "consent_at"))


def age_band(birthday: dt.date | None) -> str | None:
    """The generation people in China use: 60后, 70后, 80后, 90后, 00后 (and edges)."""
    if birthday is None:
        return None
    if birthday.year < 1960:
        return "60前"
    if birthday.year >= 2010:
        return "10后"
    return f"{birthday.year // 10 % 10}0后"


def lifecycle_of(vehicles: Sequence[Vehicle], today: dt.date) -> Lifecycle:
    """In or out of warranty by the newest vehicle (latest purchase; unknown counts as old)."""
    if not vehicles:
        return "no_vehicle"
    newest = max(vehicles, key=lambda v: (v.purchase_date is not None, v.purchase_date, v.id))
    if newest.warranty_end is not None and newest.warranty_end >= today:
        return "in_warranty"
    return "out_of_warranty"


async def derive(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID], today: dt.date
) -> dict[uuid.UUID, Derived]:
    """Visits, spend, last visit, lifecycle and RFM for many customers in three statements."""
    if not customer_ids:
        return {}
    ids = list(customer_ids)
    spend = func.sum(ServiceOrder.total).filter(ServiceOrder.status == OrderStatus.completed)
    rows = (
        await session.execute(
            select(
                ServiceOrder.customer_id,
                func.count(),
                func.coalesce(spend, 0),
                func.max(ServiceOrder.completed_at),
            )
            .where(ServiceOrder.customer_id.in_(ids), ServiceOrder.status.in_(VISIT_STATUSES))
            .group_by(ServiceOrder.customer_id)
        )
    ).all()
    visits = {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows}
    owned: dict[uuid.UUID, list[Vehicle]] = {}
    for vehicle in (
        await session.scalars(select(Vehicle).where(Vehicle.customer_id.in_(ids)))
    ).all():
        owned.setdefault(vehicle.customer_id, []).append(vehicle)
    scores = await rfm_of(session, ids)
    result = {}
    for cid in ids:
        count, total, last = visits.get(cid, (0, 0, None))
        lifecycle = lifecycle_of(owned.get(cid, []), today)
        result[cid] = Derived(count, total, _aware(last), lifecycle, scores.get(cid))
    return result


def with_derived(statement: Select[Any], today: dt.date | ColumnElement[dt.date]) -> Select[Any]:
    """``statement`` (selecting ``Customer``, or ``customer_columns()``) with what
    :func:`derive` computes, as columns.

    The same figures as :func:`derive`, folded into the customer's own statement as
    correlated subqueries and an outer join, so a detail or a page costs one round trip
    instead of four. Each subquery names the customer's tenant, so it stays within it on
    SQLite too (the ORM wall also filters each entity; row-level security on PostgreSQL).
    The scores come as columns of the joined alias, not as an entity: a page of 50 need not
    build 50 identity-mapped score objects only to copy five fields out of them.
    """
    columns, scores, onclause = _derived_columns(today)
    return statement.add_columns(*columns).outerjoin(scores, onclause)


@functools.lru_cache(maxsize=8)
def _derived_columns(
    today: dt.date | ColumnElement[dt.date],
) -> tuple[tuple[Any, ...], Any, ColumnElement[bool]]:
    """The derived columns for one ``today``, built once: building them (an alias's
    column proxies above all) cost a page of 50 more CPU than running it (issue 21).
    SQLAlchemy's expressions are immutable, so statements may share them."""
    visits = and_(
        ServiceOrder.tenant_id == Customer.tenant_id,
        ServiceOrder.customer_id == Customer.id,
        ServiceOrder.status.in_(VISIT_STATUSES),
    )
    spend = func.sum(ServiceOrder.total).filter(ServiceOrder.status == OrderStatus.completed)
    # A scalar subquery with LIMIT rather than EXISTS: PostgreSQL may run an EXISTS as one
    # hashed pass over every vehicle of the tenant, even for a page of 50 customers
    # (tests/insights/test_filter_plans.py).
    any_vehicle = _scalar(
        select(literal(1))
        .where(Vehicle.tenant_id == Customer.tenant_id, Vehicle.customer_id == Customer.id)
        .limit(1)
    )
    lifecycle = case(
        (any_vehicle.is_(None), literal("no_vehicle")),
        (_newest_warranty() >= today, literal("in_warranty")),
        else_=literal("out_of_warranty"),
    )
    # An alias: a filter's own ``exists()`` on customer_rfm must not correlate to this join.
    scores = aliased(CustomerRfm)
    columns = (
        _scalar(select(func.count()).where(visits)),
        _scalar(select(func.coalesce(spend, 0)).where(visits)),
        _scalar(select(func.max(ServiceOrder.completed_at)).where(visits)),
        lifecycle,
        scores.r,
        scores.f,
        scores.m,
        scores.segment,
        scores.computed_at,
    )
    onclause = and_(scores.tenant_id == Customer.tenant_id, scores.customer_id == Customer.id)
    return columns, scores, onclause


_DERIVED_WIDTH = 9
"""How many columns :func:`with_derived` adds."""


def _scalar(statement: Select[Any]) -> Any:
    return statement.correlate(Customer).scalar_subquery()


def derived_of(row: Row[Any]) -> tuple[CustomerRecord, Derived]:
    """A row of :func:`with_derived` as the customer (the entity, or a
    :class:`CustomerRow` when the statement selected :func:`customer_columns`) and its
    :class:`Derived`."""
    values = tuple(row)
    head = values[:-_DERIVED_WIDTH]
    count, total, last, lifecycle, r, f, m, segment, computed_at = values[-_DERIVED_WIDTH:]
    scores = None if computed_at is None else RfmOut(r, f, m, segment, computed_at)
    customer = head[0] if len(head) == 1 else customer_row(head)
    return customer, Derived(int(count), int(total or 0), _aware(last), lifecycle, scores)


def _aware(value: Any) -> dt.datetime | None:
    """``max()`` over a UTC column comes back raw from SQLite: restore the zone."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _newest_warranty() -> Any:
    return (
        select(Vehicle.warranty_end)
        .where(Vehicle.tenant_id == Customer.tenant_id, Vehicle.customer_id == Customer.id)
        .order_by(Vehicle.purchase_date.desc().nulls_last(), Vehicle.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )


def lifecycle_filter(lifecycle: str, today: dt.date) -> ColumnElement[bool]:
    has_vehicle = exists().where(
        Vehicle.tenant_id == Customer.tenant_id, Vehicle.customer_id == Customer.id
    )
    newest = _newest_warranty()
    if lifecycle == "no_vehicle":
        return ~has_vehicle
    if lifecycle == "in_warranty":
        return and_(has_vehicle, newest >= today)
    if lifecycle == "out_of_warranty":
        return and_(has_vehicle, or_(newest.is_(None), newest < today))
    raise Unprocessable.field("lifecycle", "use in_warranty, out_of_warranty or no_vehicle")
