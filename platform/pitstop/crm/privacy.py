"""Data-subject rights and the customer 360° view: reveal, export, erase, profile.

Reveal and export hand out raw values, so both check their permission at the route and are
written to the audit log with who, when and why. Erase anonymises in place rather than
deleting: service orders are financial records (and the per-store history is aggregate
fact), so they keep their ids and amounts while everything that points at a person goes.
Plugins answer for their own data through the host's export and erase hooks, inside the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.masking import free_text_in
from pitstop.access.models import AuditEntry
from pitstop.access.principal import Principal
from pitstop.crm.customers import derive
from pitstop.crm.extensions import CustomerExtensions
from pitstop.crm.internal import refuse_if_internal
from pitstop.crm.models import (
    Customer,
    MileageReading,
    OrderStatus,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
    VehicleOwnership,
)
from pitstop.crm.responses import ERASED_NAME, customer_out, order_out, quantity_out, vehicle_out
from pitstop.crm.schemas import CustomerProfile, RevealOut, ServiceDue, Totals
from pitstop.errors import Conflict
from pitstop.events.outbox import emit

RECENT_ORDERS = 5
PERSONAL_FIELDS = ("name", "phone", "id_number", "email", "address", "birthday")


def _raw(customer: Customer, field: str) -> str | None:
    value = getattr(customer, field)
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value is None else str(value)


async def reveal(
    session: AsyncSession, customer: Customer, fields: Sequence[str], reason: str
) -> RevealOut:
    """Raw values of the asked fields (plain strings: not masked), audited with the reason."""
    wanted = sorted(set(fields))
    await record(
        session,
        "customer.reveal",
        resource="customer",
        resource_id=customer.id,
        detail={"fields": wanted, "reason": reason},
    )
    return RevealOut(customer.id, {f: _raw(customer, f) for f in wanted})


def _columns(row: Any, skip: tuple[str, ...] = ("tenant_id",)) -> dict[str, Any]:
    """Every column of a row, as JSON values: the export hides nothing it holds."""
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(row, column.key)
        if isinstance(value, uuid.UUID | dt.date):
            value = value.isoformat() if isinstance(value, dt.date) else str(value)
        elif isinstance(value, Decimal):
            value = quantity_out(value)  # a number, as the API shows it
        out[column.key] = value
    return out


async def export(
    session: AsyncSession, extensions: CustomerExtensions, customer: Customer
) -> dict[str, Any]:
    """Everything held about the customer (PIPL art. 45 / GDPR art. 15), plugins included."""
    vehicles = (
        await session.scalars(select(Vehicle).where(Vehicle.customer_id == customer.id))
    ).all()
    ownerships = (
        await session.scalars(
            select(VehicleOwnership).where(VehicleOwnership.customer_id == customer.id)
        )
    ).all()
    orders = (
        await session.scalars(
            select(ServiceOrder)
            .where(ServiceOrder.customer_id == customer.id)
            .order_by(ServiceOrder.id)
        )
    ).all()
    lines = (
        await session.scalars(
            select(ServiceOrderLine)
            .where(ServiceOrderLine.order_id.in_([o.id for o in orders]))
            .order_by(ServiceOrderLine.order_id, ServiceOrderLine.position)
        )
    ).all()
    readings = (
        await session.scalars(
            select(MileageReading)
            .where(MileageReading.vehicle_id.in_([v.id for v in vehicles]))
            .order_by(MileageReading.read_at)
        )
    ).all()
    accesses = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.resource == "customer", AuditEntry.resource_id == str(customer.id))
            .order_by(AuditEntry.at)
        )
    ).all()
    by_order: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(_columns(line, ("tenant_id", "order_id")))
    await record(session, "customer.export", resource="customer", resource_id=customer.id)
    return {
        "customer": _columns(customer),
        "vehicles": [_columns(v) for v in vehicles],
        "vehicle_ownerships": [_columns(o) for o in ownerships],
        "mileage_readings": [_columns(r) for r in readings],
        "service_orders": [{**_columns(o), "lines": by_order.get(o.id, [])} for o in orders],
        "access_log": [
            {"at": a.at.isoformat(), "action": a.action, "actor_kind": a.actor_kind}
            for a in accesses
        ],
        "plugins": await extensions.export_customer(session, customer_id=customer.id),
    }


async def erase(
    session: AsyncSession,
    extensions: CustomerExtensions,
    customer: Customer,
    reason: str,
    now: dt.datetime,
) -> None:
    """Anonymise irreversibly; orders keep ids and amounts, vehicles lose VIN and plate."""
    if customer.erased_at is not None:
        raise Conflict("this customer was already erased", code="customer_erased")
    refuse_if_internal(customer, "erased")
    for field in PERSONAL_FIELDS[1:]:
        setattr(customer, field, None)
    customer.name, customer.phone_last4, customer.gender = ERASED_NAME, None, None
    customer.city, customer.tags = None, []
    customer.marketing_consent, customer.consent_at, customer.consent_channel = False, None, None
    customer.erased_at = now
    vehicles = (
        await session.scalars(select(Vehicle).where(Vehicle.customer_id == customer.id))
    ).all()
    for vehicle in vehicles:
        vehicle.vin, vehicle.plate, vehicle.colour = None, None, None
    if vehicles:
        await session.execute(
            update(MileageReading)
            .where(MileageReading.vehicle_id.in_([v.id for v in vehicles]))
            .values(note=None)
        )
    await extensions.erase_customer(session, customer_id=customer.id)
    await record(
        session,
        "customer.erase",
        resource="customer",
        resource_id=customer.id,
        detail={"reason": reason, "vehicles": len(vehicles)},
    )
    await emit(session, "customer.erased", {"customer_id": str(customer.id)}, occurred_at=now)


async def _service_due(session: AsyncSession, vehicle_ids: list[uuid.UUID]) -> list[ServiceDue]:
    """Per vehicle, what its latest completed order said about the next service."""
    rows = (
        await session.scalars(
            select(ServiceOrder)
            .where(
                ServiceOrder.vehicle_id.in_(vehicle_ids),
                ServiceOrder.status == OrderStatus.completed,
            )
            .order_by(ServiceOrder.completed_at.desc())
        )
    ).all()
    latest: dict[uuid.UUID, ServiceOrder] = {}
    for order in rows:
        latest.setdefault(order.vehicle_id, order)
    return [
        ServiceDue(vid, latest[vid].next_service_km, latest[vid].next_service_date)
        for vid in vehicle_ids
        if vid in latest
    ]


async def profile(
    session: AsyncSession,
    extensions: CustomerExtensions,
    customer: Customer,
    principal: Principal,
    today: dt.date,
) -> CustomerProfile:
    """The 360° view; recent visits are limited to the principal's stores."""
    derived = (await derive(session, [customer.id], today))[customer.id]
    vehicles = (
        await session.scalars(
            select(Vehicle).where(Vehicle.customer_id == customer.id).order_by(Vehicle.id)
        )
    ).all()
    recent = select(ServiceOrder).where(ServiceOrder.customer_id == customer.id)
    if principal.store_ids is not None:
        recent = recent.where(ServiceOrder.store_id.in_(sorted(principal.store_ids)))
    orders = (
        await session.scalars(recent.order_by(ServiceOrder.id.desc()).limit(RECENT_ORDERS))
    ).all()
    sections = await extensions.customer_sections(session, customer_id=customer.id)
    # A plugin's section is its own JSON: every string in it is read as free text, so
    # personal data a plugin puts there is masked like the core's own fields.
    sections = [msgspec.structs.replace(s, data=free_text_in(s.data)) for s in sections]
    return CustomerProfile(
        customer=customer_out(customer, derived),
        vehicles=[vehicle_out(v, today) for v in vehicles],
        recent_orders=[order_out(o) for o in orders],
        totals=Totals(derived.visit_count, derived.total_spend, derived.last_visit_at),
        next_service_due=await _service_due(session, [v.id for v in vehicles]),
        sections=sections,
    )
