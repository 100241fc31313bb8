"""Vehicles: registration, change of owner, and the odometer timeline.

A vehicle's life outlasts its owners, so ownership is history (``vehicle_ownerships``) and
the odometer is a timeline (``mileage_readings``). A reading lower than the last one is
almost always a typo; it is refused unless the caller flags it as a correction, which is
then recorded with the previous value so nobody wonders later why the line went down.
Each reading recorded (by hand or at an order's completion) is a ``vehicle.mileage_recorded``
event in the same transaction, ids and the odometer only: a projection (retention's due
date) follows the car's own pace without waiting for the night.

The timeline is the vehicle's, but a reading taken at a visit is also that store's business:
a store-scoped reader sees the readings of its own stores' visits and the readings no visit
made (registration, manual), never when or at what odometer another store had the car in.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.pii import PIIClass
from pitstop.access.principal import Principal
from pitstop.crm.models import (
    Customer,
    MileageReading,
    MileageSource,
    ServiceOrder,
    Vehicle,
    VehicleOwnership,
)
from pitstop.crm.schemas import VehicleCreate, VehiclePatch
from pitstop.crm.validators import looks_like_plate, normalize_plate, normalize_vin
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.events.outbox import emit
from pitstop.personal_data import find


async def get_vehicle(session: AsyncSession, vehicle_id: uuid.UUID) -> Vehicle:
    vehicle = (await session.scalars(select(Vehicle).where(Vehicle.id == vehicle_id))).one_or_none()
    if vehicle is None:
        raise NotFound("no such vehicle", code="vehicle_not_found")
    return vehicle


async def owner_for(session: AsyncSession, customer_id: uuid.UUID, field: str) -> Customer:
    """A customer of this tenant who can own a vehicle; 422 naming ``field`` otherwise."""
    customer = (
        await session.scalars(select(Customer).where(Customer.id == customer_id))
    ).one_or_none()
    if customer is None:
        raise Unprocessable.field(field, "no such customer", code="unknown_customer")
    if customer.erased_at is not None:
        raise Unprocessable.field(field, "this customer was erased", code="customer_erased")
    return customer


async def _check_unique(
    session: AsyncSession, column: str, value: str, except_id: uuid.UUID | None = None
) -> None:
    existing = await session.scalar(select(Vehicle.id).where(getattr(Vehicle, column) == value))
    if existing is not None and existing != except_id:
        raise Conflict(
            f"a vehicle with this {column} is registered",
            code=f"duplicate_{column}",
            id=str(existing),
            errors=[{"field": column, "message": "already registered"}],
        )


async def register_vehicle(session: AsyncSession, data: VehicleCreate, now: dt.datetime) -> Vehicle:
    customer = await owner_for(session, data.customer_id, "customer_id")
    decoded = normalize_vin(data.vin, today=now.date())
    plate = normalize_plate(data.plate)
    await _check_unique(session, "vin", decoded.vin)
    await _check_unique(session, "plate", plate)
    if data.warranty_end and data.purchase_date and data.warranty_end < data.purchase_date:
        raise Unprocessable.field("warranty_end", "ends before the purchase date")
    vehicle = Vehicle(
        customer_id=customer.id,
        vin=decoded.vin,
        plate=plate,
        make=data.make or decoded.manufacturer,
        model=data.model,
        year=data.year or decoded.model_year,
        colour=data.colour,
        fuel=data.fuel,
        purchase_date=data.purchase_date,
        warranty_end=data.warranty_end,
        mileage_km=data.mileage_km,
    )
    session.add(vehicle)
    await session.flush()
    session.add(VehicleOwnership(vehicle_id=vehicle.id, customer_id=customer.id, started_at=now))
    if data.mileage_km is not None:
        session.add(
            MileageReading(
                vehicle_id=vehicle.id,
                mileage_km=data.mileage_km,
                read_at=now,
                source=MileageSource.registration,
            )
        )
    await emit(
        session,
        "vehicle.registered",
        {
            "vehicle_id": str(vehicle.id),
            "customer_id": str(customer.id),
            "fuel": str(vehicle.fuel),
            "year": vehicle.year,
        },
        occurred_at=now,
    )
    return vehicle


async def transfer(
    session: AsyncSession, vehicle: Vehicle, customer_id: uuid.UUID, now: dt.datetime
) -> bool:
    """Move the vehicle to another customer, closing the current ownership row."""
    if customer_id == vehicle.customer_id:
        return False
    customer = await owner_for(session, customer_id, "customer_id")
    current = (
        await session.scalars(
            select(VehicleOwnership).where(
                VehicleOwnership.vehicle_id == vehicle.id, VehicleOwnership.ended_at.is_(None)
            )
        )
    ).all()
    for row in current:
        row.ended_at = now
    session.add(VehicleOwnership(vehicle_id=vehicle.id, customer_id=customer.id, started_at=now))
    vehicle.customer_id = customer.id
    return True


async def update_vehicle(
    session: AsyncSession, vehicle: Vehicle, data: VehiclePatch, now: dt.datetime
) -> list[str]:
    values = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    changed = []
    if "customer_id" in values and await transfer(session, vehicle, values.pop("customer_id"), now):
        changed.append("customer_id")
    if "plate" in values:
        values["plate"] = normalize_plate(values["plate"])
        await _check_unique(session, "plate", values["plate"], vehicle.id)
    for key, value in values.items():
        if getattr(vehicle, key) != value:
            setattr(vehicle, key, value)
            changed.append(key)
    if (
        vehicle.warranty_end
        and vehicle.purchase_date
        and vehicle.warranty_end < vehicle.purchase_date
    ):
        raise Unprocessable.field("warranty_end", "ends before the purchase date")
    return sorted(changed)


async def record_mileage(
    session: AsyncSession,
    vehicle: Vehicle,
    mileage_km: int,
    now: dt.datetime,
    *,
    correction: bool = False,
    source: MileageSource = MileageSource.manual,
    service_order_id: uuid.UUID | None = None,
    note: str | None = None,
    field: str = "mileage_km",
) -> MileageReading:
    previous = vehicle.mileage_km
    lower = previous is not None and mileage_km < previous
    if lower and not correction:
        raise Unprocessable.field(
            field,
            f"lower than the last reading ({previous} km); flag it as a correction",
            code="mileage_decreased",
        )
    reading = MileageReading(
        vehicle_id=vehicle.id,
        mileage_km=mileage_km,
        read_at=now,
        source=source,
        service_order_id=service_order_id,
        correction=bool(lower and correction),
        previous_km=previous,
        note=note,
    )
    session.add(reading)
    vehicle.mileage_km = mileage_km
    await session.flush()
    facts = {
        "vehicle_id": str(vehicle.id),
        "customer_id": str(vehicle.customer_id),
        "reading_id": str(reading.id),
        "mileage_km": mileage_km,
        "source": str(source),
        "correction": reading.correction,
        "service_order_id": None if service_order_id is None else str(service_order_id),
    }
    await emit(session, "vehicle.mileage_recorded", facts, occurred_at=now)
    return reading


def timeline_statement(principal: Principal, vehicle_id: uuid.UUID) -> Select[MileageReading]:
    """The odometer readings the principal may see, oldest first (filtered in SQL)."""
    statement = select(MileageReading).where(MileageReading.vehicle_id == vehicle_id)
    if principal.store_ids is not None:
        own_visits = select(ServiceOrder.id).where(
            ServiceOrder.vehicle_id == vehicle_id,
            ServiceOrder.store_id.in_(sorted(principal.store_ids)),
        )
        statement = statement.where(
            or_(
                MileageReading.service_order_id.is_(None),
                MileageReading.service_order_id.in_(own_visits),
            )
        )
    return statement.order_by(MileageReading.read_at, MileageReading.id)


def search_keys(q: str) -> list[tuple[PIIClass, ColumnElement[bool]]]:
    """Exact plate or VIN, or the tail of a VIN (the last six, as printed on receipts),
    each with the PII class an answer could reveal."""
    text = q.strip().upper()
    if not text:
        raise Unprocessable.field("q", "must not be empty")
    keys: list[tuple[PIIClass, ColumnElement[bool]]] = [(PIIClass.vin, Vehicle.vin == text)]
    plate = looks_like_plate(text)
    if plate is not None:
        keys.append((PIIClass.plate, Vehicle.plate == plate))
    if 4 <= len(text) < 17 and text.isalnum():
        keys.append((PIIClass.vin, Vehicle.vin.endswith(text, autoescape=True)))
    return keys


def vehicle_matches(q: str) -> ColumnElement[bool]:
    return or_(*(condition for _, condition in search_keys(q)))


def searched_classes(q: str | None) -> set[str]:
    """The PII classes a vehicle search targets (see :func:`search_keys`), and whatever
    the free-text detectors find in ``q``."""
    if q is None:
        return set()
    return {str(c) for c, _ in search_keys(q)} | {f.pii_class for f in find(q)}


def list_statement(q: str | None, customer_id: uuid.UUID | None) -> Select[Vehicle]:
    statement = select(Vehicle)
    if q is not None:
        statement = statement.where(vehicle_matches(q))
    if customer_id is not None:
        statement = statement.where(Vehicle.customer_id == customer_id)
    return statement
