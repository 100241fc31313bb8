"""The core's event types and their payloads: what the CRM promises its subscribers.

Each Struct is checked when the core emits (``emit`` in :mod:`pitstop.events.outbox`);
the outbox stores the payload as JSON values, so ids arrive at a subscriber as strings
(``uuid.UUID(event.payload["customer_id"])``). Enumerations (fuel, source, usage) are
plain strings here: their values are the CRM's, listed in ``docs/crm.md``.
"""

from __future__ import annotations

import uuid

import msgspec

from pitstop.events.types import EventType


class CustomerCreated(msgspec.Struct, forbid_unknown_fields=True):
    """A customer record was created (by staff, an import or the API)."""

    customer_id: uuid.UUID
    home_store_id: uuid.UUID | None
    source: str
    """How the customer came: ``walk_in``, ``phone``, ``web``, ``referral``, ..."""
    usage: str
    """What the customer's vehicles are used for: ``private``, ``official``, ``commercial``."""
    marketing_consent: bool


class CustomerUpdated(msgspec.Struct, forbid_unknown_fields=True):
    """Fields of a customer record changed (their names, never their values)."""

    customer_id: uuid.UUID
    fields: list[str]


class CustomerErased(msgspec.Struct, forbid_unknown_fields=True):
    """A customer's personal data was erased (PIPL/GDPR); plugins erase theirs too."""

    customer_id: uuid.UUID


class VehicleRegistered(msgspec.Struct, forbid_unknown_fields=True):
    """A vehicle was registered to a customer."""

    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    fuel: str
    """``petrol``, ``diesel``, ``hybrid`` or ``ev``."""
    year: int | None


class MileageRecorded(msgspec.Struct, forbid_unknown_fields=True):
    """An odometer reading was recorded on a vehicle: by hand, or at a service order's
    completion (``service_order_id``; ``service_order.completed`` follows in the same
    transaction). Not at registration: ``vehicle.registered`` says that."""

    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    reading_id: uuid.UUID
    mileage_km: int
    source: str
    """``manual`` or ``service_order``."""
    correction: bool
    """A reading lower than the last, accepted as a correction (a new scale)."""
    service_order_id: uuid.UUID | None


class ServiceOrderFacts(msgspec.Struct, forbid_unknown_fields=True):
    """A service order's ids and figures: money in fen, per line category net of discounts
    (``amounts`` adds up to ``total``), and the odometer at completion."""

    order_id: uuid.UUID
    store_id: uuid.UUID
    customer_id: uuid.UUID
    vehicle_id: uuid.UUID
    total: int
    currency: str
    amounts: dict[str, int]
    mileage_km: int | None


CORE_EVENT_TYPES: tuple[EventType, ...] = (
    EventType("customer.created", CustomerCreated),
    EventType("customer.updated", CustomerUpdated),
    EventType("customer.erased", CustomerErased),
    EventType("vehicle.registered", VehicleRegistered),
    EventType(
        "vehicle.mileage_recorded",
        MileageRecorded,
        description="An odometer reading was recorded on a vehicle (by hand or on an order).",
    ),
    EventType(
        "service_order.completed",
        ServiceOrderFacts,
        description="A service order was completed (its money counts from now on).",
    ),
    EventType(
        "service_order.refunded",
        ServiceOrderFacts,
        description="A completed service order was refunded (undo what it earned).",
    ),
)
"""Every event the core emits; ``emit`` refuses any other type from core code."""

CORE_EVENTS: dict[str, EventType] = {t.name: t for t in CORE_EVENT_TYPES}
