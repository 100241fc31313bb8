"""Read-only views of core records for plugins (re-exported by :mod:`pitstop.sdk`).

Plugins reference customers, stores, service orders and staff by id; these functions
answer "does it exist in this tenant, and what do I need to know about it" without
handing out the core's ORM classes, which would freeze the core's schema into the SDK.
Every read goes through the context's tenant-scoped session, so another tenant's id is
simply not found.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from pitstop.access.masking import Sensitive
from pitstop.access.permissions import STORE_SCOPED_ROLES
from pitstop.access.pii import mask_name
from pitstop.crm.internal import internal_customer_id
from pitstop.crm.models import Customer, MileageReading, Vehicle
from pitstop.identity.models import Membership, Role, User
from pitstop.plugin_host.context import PluginContext
from pitstop.tenancy.calendar import Calendar, calendar_for
from pitstop.tenancy.models import Store

ID_CHUNK = 500
AnyRow = Row[*tuple[Any, ...]]

# What the batch readers select: bare columns, not mapped objects. A nightly pass over a
# tenant's fleet reads some 600 rows per 100 cars; an object each (identity map, state,
# instrumented attributes) was the largest part of its client CPU. A row of these columns
# has the attributes the view functions read, so one function builds a view from either.
# fmt: off
_CUSTOMER = (Customer.tenant_id, Customer.id, Customer.home_store_id, Customer.birthday,
             Customer.erased_at, Customer.marketing_consent, Customer.name, Customer.phone)
_VEHICLE = (Vehicle.id, Vehicle.customer_id, Vehicle.fuel, Vehicle.mileage_km, Vehicle.make,
            Vehicle.model, Vehicle.year, Vehicle.purchase_date, Vehicle.plate)
_READING = (MileageReading.vehicle_id, MileageReading.mileage_km, MileageReading.read_at,
            MileageReading.source, MileageReading.correction)
# fmt: on


@dataclass(frozen=True)
class CustomerView:
    id: uuid.UUID
    home_store_id: uuid.UUID | None
    birthday: dt.date | None
    erased: bool
    marketing_consent: bool = False
    """SDK 1.2: the customer agreed to marketing contact (what marketing lists filter on)."""
    masked_name: str | None = None
    """SDK 1.3: the name as every role sees it masked (``张*``), for a front desk to
    confirm who a code belongs to without reading the name itself."""
    name: str | None = None
    """SDK 1.3: personal data: hand it out only as ``Sensitive(name, "name")``."""
    phone: str | None = None
    """SDK 1.3: personal data: hand it out only as ``Sensitive(phone, "phone")``."""
    internal: bool = False
    """SDK 1.4: the tenant's internal customer (the shop, owner of the cars it bought in):
    nobody to remind, reward, enrol or count - treat it like an erased customer."""


@dataclass(frozen=True)
class StoreView:
    id: uuid.UUID
    code: str
    name: str
    timezone: str
    hours: dict[str, str]
    holidays: list[str]
    active: bool

    def calendar(self) -> Calendar:
        """The store's business hours, split shifts and holidays, in its time zone."""
        return calendar_for(
            "store", hours=self.hours, holidays=self.holidays, timezone=self.timezone
        )


@dataclass(frozen=True)
class VehicleView:
    id: uuid.UUID
    customer_id: uuid.UUID
    """The current owner."""
    fuel: str
    mileage_km: int | None
    make: str | None = None
    """SDK 1.2: make, model, model year and purchase date, for valuing the car."""
    model: str | None = None
    year: int | None = None
    purchase_date: dt.date | None = None
    plate: str | None = None
    """SDK 1.2: personal data: hand it out only as ``Sensitive(plate, "plate")``."""


@dataclass(frozen=True)
class MileageReadingView:
    """One odometer reading the shop recorded (SDK 1.2)."""

    vehicle_id: uuid.UUID
    mileage_km: int
    read_at: dt.datetime
    source: str
    """``registration``, ``service_order`` or ``manual``."""
    correction: bool
    """A reading lower than the previous one, accepted as a flagged correction."""


@dataclass(frozen=True)
class StaffView:
    id: uuid.UUID
    """The membership id: what ``Principal.actor_id`` is for a staff member."""
    role: str
    store_ids: frozenset[uuid.UUID] | None
    active: bool
    name: Sensitive | None = None
    """How this tenant names the person (its display name for them, else their own), as the
    staff page does: a ``Sensitive`` name, so a page or response masks it for a reader
    whose policy masks names. ``None`` only in a view a plugin built itself (SDK 1.5)."""

    def works_at(self, store_id: uuid.UUID) -> bool:
        return self.store_ids is None or store_id in self.store_ids


def _customer_view(row: Customer | AnyRow) -> CustomerView:
    return CustomerView(
        row.id,
        row.home_store_id,
        row.birthday,
        row.erased_at is not None,
        bool(row.marketing_consent),
        None if row.erased_at is not None else mask_name(row.name),
        row.name,
        row.phone,
        row.id == internal_customer_id(row.tenant_id),
    )


async def get_customer(ctx: PluginContext, customer_id: uuid.UUID) -> CustomerView | None:
    row = await ctx.session.get(Customer, (ctx.tenant_id, customer_id))
    return None if row is None else _customer_view(row)


async def get_customers(
    ctx: PluginContext, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, CustomerView]:
    """Many customers in a few queries (500 ids each), for work over a whole book such as a
    backfill; ids of no customer of this tenant are simply absent from the answer."""
    wanted = sorted(set(customer_ids))
    found: dict[uuid.UUID, CustomerView] = {}
    for i in range(0, len(wanted), ID_CHUNK):
        statement = select(*_CUSTOMER).where(Customer.id.in_(wanted[i : i + ID_CHUNK]))
        for row in (await ctx.session.execute(statement)).all():
            found[row.id] = _customer_view(row)
    return found


async def get_store(ctx: PluginContext, store_id: uuid.UUID) -> StoreView | None:
    row = await ctx.session.get(Store, (ctx.tenant_id, store_id))
    if row is None:
        return None
    return _store_view(row)


def _store_view(row: Store) -> StoreView:
    return StoreView(row.id, row.code, row.name, row.timezone, row.hours, row.holidays, row.active)


async def list_stores(ctx: PluginContext) -> list[StoreView]:
    """The stores the caller sees, by code (SDK 1.5): all of the tenant's for HQ, a
    schedule or a task, a store-scoped reader's own otherwise - for a page or report that
    shows one row per store."""
    statement = select(Store).order_by(Store.code)
    principal = ctx.principal
    if principal is not None and principal.store_ids is not None:
        statement = statement.where(Store.id.in_(sorted(principal.store_ids)))
    return [_store_view(row) for row in (await ctx.session.scalars(statement)).all()]


async def get_vehicle(ctx: PluginContext, vehicle_id: uuid.UUID) -> VehicleView | None:
    row = await ctx.session.get(Vehicle, (ctx.tenant_id, vehicle_id))
    return None if row is None else _vehicle_view(row)


async def get_vehicles(
    ctx: PluginContext, vehicle_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, VehicleView]:
    """Many vehicles by id, in a few queries (SDK 1.5): work over a batch of cars (a store's,
    re-projected after a change of its settings) reads them together, not one by one.
    Ids of another tenant or of no vehicle are absent from the answer."""
    wanted = sorted(set(vehicle_ids))
    found: dict[uuid.UUID, VehicleView] = {}
    for i in range(0, len(wanted), ID_CHUNK):
        statement = select(*_VEHICLE).where(Vehicle.id.in_(wanted[i : i + ID_CHUNK]))
        for row in (await ctx.session.execute(statement)).all():
            found[row.id] = _vehicle_view(row)
    return found


def _vehicle_view(row: Vehicle | AnyRow) -> VehicleView:
    return VehicleView(
        row.id,
        row.customer_id,
        str(row.fuel),
        row.mileage_km,
        row.make,
        row.model,
        row.year,
        row.purchase_date,
        row.plate,
    )


async def list_vehicles(ctx: PluginContext, *, batch: int = 500) -> AsyncIterator[VehicleView]:
    """Every vehicle of the tenant, by id, read in keyset batches (SDK 1.2): for nightly
    work that looks at the whole fleet, such as scoring trade-in candidates."""
    after: uuid.UUID | None = None
    while True:
        statement = select(*_VEHICLE).order_by(Vehicle.id).limit(batch)
        if after is not None:
            statement = statement.where(Vehicle.id > after)
        rows = (await ctx.session.execute(statement)).all()
        for row in rows:
            yield _vehicle_view(row)
        if len(rows) < batch:
            return
        after = rows[-1].id


async def mileage_readings(ctx: PluginContext, vehicle_id: uuid.UUID) -> list[MileageReadingView]:
    """The vehicle's odometer timeline, oldest first (SDK 1.2): what an odometer-rollback
    check compares a new reading with. Another tenant's vehicle has none."""
    statement = (
        select(MileageReading)
        .where(MileageReading.vehicle_id == vehicle_id)
        .order_by(MileageReading.read_at, MileageReading.id)
    )
    return [
        MileageReadingView(r.vehicle_id, r.mileage_km, r.read_at, str(r.source), r.correction)
        for r in (await ctx.session.scalars(statement)).all()
    ]


async def mileage_readings_of(
    ctx: PluginContext, vehicle_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[MileageReadingView]]:
    """The odometer timelines of many vehicles, oldest first, in a few queries (SDK 1.3):
    nightly work over the fleet reads a batch of vehicles at a time, not one by one."""
    wanted = sorted(set(vehicle_ids))
    found: dict[uuid.UUID, list[MileageReadingView]] = {v: [] for v in wanted}
    for i in range(0, len(wanted), ID_CHUNK):
        statement = (
            select(*_READING)
            .where(MileageReading.vehicle_id.in_(wanted[i : i + ID_CHUNK]))
            .order_by(MileageReading.read_at, MileageReading.id)
        )
        for r in (await ctx.session.execute(statement)).all():
            found[r.vehicle_id].append(
                MileageReadingView(
                    r.vehicle_id, r.mileage_km, r.read_at, str(r.source), r.correction
                )
            )
    return found


def _works_at(membership: Membership, scoped: frozenset[str]) -> frozenset[uuid.UUID] | None:
    if membership.store_ids is None:
        return frozenset() if membership.role in scoped else None
    return frozenset(uuid.UUID(s) for s in membership.store_ids)


async def list_staff(
    ctx: PluginContext, *, role: str | None = None, store_id: uuid.UUID | None = None
) -> list[StaffView]:
    """Active staff, oldest first (a stable order for round-robin assignment).

    A pending membership is not staff yet: the person has not accepted it. A person of a
    store-scoped role with no stores works at no store (never at all of them).
    """
    custom = await ctx.session.scalars(select(Role.name).where(Role.store_scoped.is_(True)))
    scoped = STORE_SCOPED_ROLES | frozenset(custom.all())
    statement = (
        select(Membership, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.active.is_(True), Membership.pending.is_(False))
        .order_by(Membership.id)
    )
    if role is not None:
        statement = statement.where(Membership.role == role)
    views = [
        StaffView(
            m.id,
            m.role,
            _works_at(m, scoped),
            m.active,
            Sensitive(m.display_name or own_name, "name"),
        )
        for m, own_name in (await ctx.session.execute(statement)).all()
    ]
    return [v for v in views if store_id is None or v.works_at(store_id)]
