"""The customer list's filters for every classification the trade uses, AND-combined in SQL.

One dependency (:func:`customer_filters`) declares them as query parameters, so the list
(``GET /api/v1/customers``) and its CSV export (``GET /api/v1/customers/export.csv``) take
exactly the same ones. Each filter is a condition on the customer row or an ``EXISTS`` on
an indexed ``(tenant_id, customer_id)`` table, so the page stays a keyset scan by id:

* columns of the customer: ``usage``, ``region``, ``occupation``, ``marketing_consent``,
  ``age_band`` (a birthday range: ``80后`` is born 1980-1989);
* the nightly RFM row (``customer_rfm``): ``segment``, ``min_spend``/``max_spend`` (spend in
  the RFM window, fen) and ``visits_min`` (visits in the window) - as of the last run;
* live from service orders: ``last_visit_after`` (a visit on or after that local day) and
  ``last_visit_before`` (visits, none on or after that day);
* vehicles: ``make``, ``model`` (exact, case-insensitive);
* ``store_id``: the customer's home store or the store of their latest visit;
* ``internal``: the tenant's internal customer (the shop, owner of the cars it bought in;
  :mod:`pitstop.crm.internal`) is left out unless ``internal=true`` asks for it alone;
* plugin attributes: ``tier`` (membership's), a select of customer ids each enabled plugin
  that knows the attribute answers through the ``customer_filter`` hook.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar.params import FromQuery, QueryParameter
from sqlalchemy import ColumnElement, exists, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.extensions import CustomerExtensions
from pitstop.crm.models import (
    Customer,
    CustomerRfm,
    Occupation,
    OrderStatus,
    ServiceOrder,
    UsageType,
    Vehicle,
)
from pitstop.errors import Unprocessable
from pitstop.inputs import checked_day
from pitstop.tenancy.models import RegionClass
from pitstop.tenancy.periods import local_midnight

AgeBand = Literal["60前", "60后", "70后", "80后", "90后", "00后", "10后"]
_BAND_YEARS: dict[str, tuple[int | None, int | None]] = {
    "60前": (None, 1960),
    "60后": (1960, 1970),
    "70后": (1970, 1980),
    "80后": (1980, 1990),
    "90后": (1990, 2000),
    "00后": (2000, 2010),
    "10后": (2010, None),
}
Fen = Annotated[int | None, QueryParameter(ge=0, le=10**12)]
Count = Annotated[int | None, QueryParameter(ge=0, le=100_000)]
Name = Annotated[str | None, QueryParameter(min_length=1, max_length=100)]
Segment = Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


@dataclass(frozen=True)
class CustomerFilters:
    segment: str | None = None
    usage: UsageType | None = None
    region: RegionClass | None = None
    occupation: Occupation | None = None
    age_band: str | None = None
    min_spend: int | None = None
    max_spend: int | None = None
    visits_min: int | None = None
    last_visit_before: dt.date | None = None
    last_visit_after: dt.date | None = None
    make: str | None = None
    model: str | None = None
    marketing_consent: bool | None = None
    tier: str | None = None
    """A plugin attribute (membership's tier): resolved through the plugins'
    ``customer_filter`` hook by the controller, not by :func:`conditions`."""
    internal: bool | None = None
    """Only the internal customer (true), or everyone but it (false, the default)."""

    @property
    def plain(self) -> bool:
        """Nothing narrows the list (everyone but the internal customer, the default)."""
        narrowing = (v for k, v in vars(self).items() if k != "internal")
        return not self.internal and all(v is None for v in narrowing)

    @property
    def by_day(self) -> bool:
        """A filter on local days: only these need the tenant's time zone."""
        return self.last_visit_before is not None or self.last_visit_after is not None


def customer_filters(
    segment: Segment = None,
    usage: FromQuery[UsageType | None] = None,
    region: FromQuery[RegionClass | None] = None,
    occupation: FromQuery[Occupation | None] = None,
    age_band: FromQuery[AgeBand | None] = None,
    min_spend: Fen = None,
    max_spend: Fen = None,
    visits_min: Count = None,
    last_visit_before: FromQuery[dt.date | None] = None,
    last_visit_after: FromQuery[dt.date | None] = None,
    make: Name = None,
    model: Name = None,
    marketing_consent: FromQuery[bool | None] = None,
    tier: Segment = None,
    internal: FromQuery[bool | None] = None,
) -> CustomerFilters:
    """The filters as query parameters (a Litestar dependency), checked as one."""
    for name, day in (
        ("last_visit_before", last_visit_before),
        ("last_visit_after", last_visit_after),
    ):
        if day is not None:
            checked_day(day, name)
    return CustomerFilters(
        segment, usage, region, occupation, age_band, min_spend, max_spend, visits_min,
        last_visit_before, last_visit_after, make, model, marketing_consent, tier, internal,
    )  # fmt: skip


async def plugin_conditions(
    session: AsyncSession, extensions: CustomerExtensions, filters: CustomerFilters
) -> list[ColumnElement[bool]]:
    """The filters on plugin attributes: each enabled plugin that knows the attribute
    answers a select of customer ids (``IN`` it, AND-ed); none knowing it is a 422."""
    if filters.tier is None:
        return []
    selects = await extensions.attribute_filter(session, name="tier", value=filters.tier)
    if not selects:
        raise Unprocessable.field("tier", "no enabled plugin provides tiers", code="no_provider")
    return [Customer.id.in_(chosen) for chosen in selects]


def _visit_since(instant: dt.datetime | None) -> ColumnElement[bool]:
    """A visit (completed or refunded order) on or after ``instant``; None: ever."""
    when = [] if instant is None else [ServiceOrder.completed_at >= instant]
    return exists().where(
        ServiceOrder.tenant_id == Customer.tenant_id,
        ServiceOrder.customer_id == Customer.id,
        ServiceOrder.status.in_((OrderStatus.completed, OrderStatus.refunded)),
        *when,
    )


def _scores(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        CustomerRfm.tenant_id == Customer.tenant_id,
        CustomerRfm.customer_id == Customer.id,
        *conditions,
    )


def _vehicle(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        Vehicle.tenant_id == Customer.tenant_id, Vehicle.customer_id == Customer.id, *conditions
    )


def _born(band: str) -> list[ColumnElement[bool]]:
    first, until = _BAND_YEARS[band]
    conditions = []
    if first is not None:
        conditions.append(Customer.birthday >= dt.date(first, 1, 1))
    if until is not None:
        conditions.append(Customer.birthday < dt.date(until, 1, 1))
    return conditions


def conditions(filters: CustomerFilters, timezone: str) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions, to be AND-ed; local days start in ``timezone``."""
    f, found = filters, []
    for column, value in (
        (Customer.usage, f.usage),
        (Customer.region, f.region),
        (Customer.occupation, f.occupation),
        (Customer.marketing_consent, f.marketing_consent),
    ):
        if value is not None:
            found.append(column == value)
    if f.age_band is not None:
        found.extend(_born(f.age_band))
    scores: list[ColumnElement[Any]] = []
    if f.segment is not None:
        scores.append(CustomerRfm.segment == f.segment)
    if f.min_spend is not None:
        scores.append(CustomerRfm.monetary >= f.min_spend)
    if f.max_spend is not None:
        scores.append(CustomerRfm.monetary <= f.max_spend)
    if f.visits_min is not None:
        scores.append(CustomerRfm.frequency >= f.visits_min)
    if scores:
        found.append(_scores(*scores))
    if f.last_visit_after is not None:
        found.append(_visit_since(local_midnight(f.last_visit_after, timezone)))
    if f.last_visit_before is not None:
        before = local_midnight(f.last_visit_before, timezone)
        found.extend([_visit_since(None), ~_visit_since(before)])
    if f.make is not None:
        found.append(_vehicle(func.lower(Vehicle.make) == f.make.strip().lower()))
    if f.model is not None:
        found.append(_vehicle(func.lower(Vehicle.model) == f.model.strip().lower()))
    return found


def of_store(store_id: uuid.UUID) -> ColumnElement[bool]:
    """Home store, or the store of the latest visit (as of the last RFM run)."""
    return or_(Customer.home_store_id == store_id, _scores(CustomerRfm.last_store_id == store_id))
