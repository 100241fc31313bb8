"""Rows to response shapes: every personal value leaves wrapped in ``Sensitive``, every
text staff typed in ``FreeText``.

Kept apart from the handlers so that lists, details, the vehicle history and the customer
profile all render a record the same way (and mask it the same way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from pitstop.access.masking import FreeText, Sensitive, free_text, sensitive
from pitstop.crm.customer_rows import CustomerRecord
from pitstop.crm.customers import Derived, age_band
from pitstop.crm.models import (
    MileageReading,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
    VehicleOwnership,
)
from pitstop.crm.schemas import (
    Consent,
    CustomerOut,
    LineOut,
    MileageOut,
    OwnershipOut,
    ServiceOrderOut,
    VehicleOut,
)
from pitstop.crm.validators import DecodedVin, normalize_vin
from pitstop.errors import Unprocessable

ERASED_NAME = "已注销客户"
"""What an erased customer is called from then on (not personal data)."""


def customer_out(customer: CustomerRecord, derived: Derived) -> CustomerOut:
    """The one place a customer is wrapped for masking, whether read as an entity (a
    detail, a change) or as a ``CustomerRow`` (a page)."""
    return CustomerOut(
        id=customer.id,
        name=Sensitive(customer.name, "name"),
        phone=sensitive(customer.phone, "phone"),
        gender=customer.gender,
        birthday=sensitive(
            customer.birthday.isoformat() if customer.birthday else None, "birthday"
        ),
        id_number=sensitive(customer.id_number, "id_number"),
        email=sensitive(customer.email, "email"),
        address=sensitive(customer.address, "address"),
        city=free_text(customer.city),
        region=customer.region,
        occupation=customer.occupation,
        usage=customer.usage,
        source=customer.source,
        home_store_id=customer.home_store_id,
        tags=[FreeText(tag) for tag in customer.tags],
        marketing_consent=Consent(
            customer.marketing_consent, customer.consent_at, free_text(customer.consent_channel)
        ),
        age_band=age_band(customer.birthday),
        lifecycle=derived.lifecycle,
        visit_count=derived.visit_count,
        total_spend=derived.total_spend,
        last_visit_at=derived.last_visit_at,
        erased=customer.erased_at is not None,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        rfm=derived.rfm,
    )


def _decode(vin: str | None) -> DecodedVin | None:
    if vin is None:
        return None
    try:
        return normalize_vin(vin)
    except Unprocessable:  # stored before a stricter rule: show it, decode nothing
        return None


def vehicle_out(vehicle: Vehicle, today: dt.date) -> VehicleOut:
    decoded = _decode(vehicle.vin)
    return VehicleOut(
        id=vehicle.id,
        customer_id=vehicle.customer_id,
        vin=sensitive(vehicle.vin, "vin"),
        plate=sensitive(vehicle.plate, "plate"),
        manufacturer=decoded.manufacturer if decoded else None,
        country=decoded.country if decoded else None,
        model_year=decoded.model_year if decoded else None,
        make=free_text(vehicle.make),
        model=free_text(vehicle.model),
        year=vehicle.year,
        colour=free_text(vehicle.colour),
        fuel=vehicle.fuel,
        purchase_date=vehicle.purchase_date,
        warranty_end=vehicle.warranty_end,
        in_warranty=vehicle.warranty_end is not None and vehicle.warranty_end >= today,
        mileage_km=vehicle.mileage_km,
        created_at=vehicle.created_at,
    )


def quantity_out(quantity: Decimal) -> int | float:
    """A JSON number as entered (2, 4.5), never a string: at most 10 significant digits,
    which a float carries exactly, so the number written is the decimal stored."""
    whole = quantity.to_integral_value()
    return int(whole) if quantity == whole else float(quantity)


def line_out(line: ServiceOrderLine) -> LineOut:
    return LineOut(
        line.kind,
        line.category,
        FreeText(line.description),
        quantity_out(line.quantity),
        line.unit_price,
        line.amount,
    )


def order_out(
    order: ServiceOrder, lines: Sequence[ServiceOrderLine] | None = None
) -> ServiceOrderOut:
    return ServiceOrderOut(
        id=order.id,
        store_id=order.store_id,
        customer_id=order.customer_id,
        vehicle_id=order.vehicle_id,
        advisor_id=order.advisor_id,
        status=order.status,
        currency=order.currency,
        total=order.total,
        labor_total=order.labor_total,
        parts_total=order.parts_total,
        discount_total=order.discount_total,
        amounts={k: int(v) for k, v in order.amounts.items()},
        mileage_km=order.mileage_km,
        opened_at=order.opened_at,
        started_at=order.started_at,
        completed_at=order.completed_at,
        refunded_at=order.refunded_at,
        refund_reason=free_text(order.refund_reason),
        next_service_km=order.next_service_km,
        next_service_date=order.next_service_date,
        lines=None if lines is None else [line_out(line) for line in lines],
    )


def ownership_out(row: VehicleOwnership) -> OwnershipOut:
    return OwnershipOut(row.customer_id, row.started_at, row.ended_at)


def mileage_out(row: MileageReading) -> MileageOut:
    return MileageOut(
        row.id,
        row.mileage_km,
        row.read_at,
        row.source,
        row.service_order_id,
        row.correction,
        row.previous_km,
    )
