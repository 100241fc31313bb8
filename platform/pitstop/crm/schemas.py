"""Request and response shapes of the CRM API.

Requests are strict msgspec Structs: an unknown field, a float where fen are expected or an
unknown category is a 422 naming the field before any handler runs. Responses declare every
personal field ``Sensitive`` and every field staff type freely (tags, city, make, reasons)
``FreeText``, so masking happens at serialisation, by the reader's role, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import OpenAPIType
from litestar.params import KwargDefinition

from pitstop.access.masking import FreeText, Sensitive
from pitstop.crm.extensions import Section
from pitstop.crm.models import (
    Fuel,
    Gender,
    LineCategory,
    LineKind,
    Occupation,
    OrderStatus,
    SourceChannel,
    UsageType,
)
from pitstop.crm.segments import RfmOut
from pitstop.inputs import PersonName
from pitstop.tenancy.models import RegionClass

MAX_FEN = 10_000_000_000  # 100 million yuan: past this a price is a typo
MAX_KM = 3_000_000

Name = PersonName
Text100 = Annotated[str, msgspec.Meta(max_length=100)]
Text300 = Annotated[str, msgspec.Meta(max_length=300)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Km = Annotated[int, msgspec.Meta(ge=0, le=MAX_KM)]
RevealField = Literal["name", "phone", "id_number", "email", "address", "birthday"]
Lifecycle = Literal["in_warranty", "out_of_warranty", "no_vehicle"]


class StrictInt(int):
    """An integer decoded strictly: ``"100"``, ``100.0`` and ``true`` are refused.

    Litestar converts request bodies leniently (a numeric string becomes an int); money
    must never be guessed at, so these types reach :func:`decode_strict`.
    """

    minimum = 0
    maximum = 2**53

    @classmethod
    def check(cls, value: object) -> StrictInt:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("must be an integer (amounts are in fen)")
        if not cls.minimum <= value <= cls.maximum:
            raise ValueError(f"must be between {cls.minimum} and {cls.maximum}")
        return cls(value)


class Fen(StrictInt):
    """Money in integer fen (1 yuan = 100 fen), never negative."""

    maximum = MAX_FEN


QUANTITY_STEP = Decimal("0.001")
MAX_QUANTITY = 1_000_000
"""A hard ceiling whatever a tenant sets: ``Numeric(12, 3)`` holds it with room to spare."""


class Quantity(Decimal):
    """How much of a line: a count or a measure (4.5 L of oil, 1.5 h of labour).

    A JSON number above zero with at most three decimals; strings (``"1e1"``), booleans
    and infinities are refused. The request body reaches this type already parsed, so a
    fraction arrives as a float: it is read back through its shortest decimal form
    (``repr``), which is exact for every number of up to 15 significant digits, far more
    than a quantity under the ceiling can have. Arithmetic on it is then Decimal only.
    """

    @classmethod
    def check(cls, value: object) -> Quantity:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise TypeError("must be a number such as 2 or 4.5")
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not exact.is_finite():
            raise ValueError("must be a finite number")
        if not 0 < exact <= MAX_QUANTITY:
            raise ValueError(f"must be above 0 and at most {MAX_QUANTITY}")
        if exact != exact.quantize(QUANTITY_STEP):
            raise ValueError("at most 3 decimals")
        return cls(exact)


def is_strict_number(target: Any) -> bool:
    return isinstance(target, type) and issubclass(target, StrictInt | Quantity)


def decode_strict(target: type[StrictInt | Quantity], value: object) -> StrictInt | Quantity:
    return target.check(value)


STRICT_DECODERS = [(is_strict_number, decode_strict)]
"""``type_decoders`` for controllers whose bodies carry money or quantities."""


def _documented(kind: type[StrictInt], description: str) -> KwargDefinition:
    """OpenAPI cannot see through an int subclass: say what it is explicitly."""
    return KwargDefinition(
        schema_extra={
            "type": OpenAPIType.INTEGER,
            "minimum": kind.minimum,
            "maximum": kind.maximum,
            "description": description,
        }
    )


FenField = Annotated[Fen, _documented(Fen, "Money in integer fen (1 yuan = 100 fen).")]
QuantityField = Annotated[
    Quantity,
    KwargDefinition(
        schema_extra={
            "type": OpenAPIType.NUMBER,
            "exclusiveMinimum": 0,
            "maximum": MAX_QUANTITY,
            "multipleOf": 0.001,
            "description": "A JSON number above 0 with at most 3 decimals (4.5 L, 1.5 h); "
            "the tenant's orders.max_line_quantity applies.",
        }
    ),
]
QuantityOut = Annotated[
    int | float,
    msgspec.Meta(description="A JSON number as entered: 2, 4.5 (at most 3 decimals)."),
]


class CustomerCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    phone: Annotated[str, msgspec.Meta(min_length=3, max_length=32)]
    gender: Gender | None = None
    birthday: dt.date | None = None
    id_number: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    address: Text300 | None = None
    city: Text100 | None = None
    region: RegionClass | None = None
    occupation: Occupation = Occupation.other
    usage: UsageType = UsageType.private
    source: SourceChannel = SourceChannel.walk_in
    home_store_id: uuid.UUID | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    marketing_consent: bool = False
    consent_channel: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class CustomerPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` clears an optional field."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(min_length=3, max_length=32)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    gender: Gender | msgspec.UnsetType | None = msgspec.UNSET
    birthday: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    id_number: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    email: Annotated[str, msgspec.Meta(max_length=254)] | msgspec.UnsetType | None = msgspec.UNSET
    address: Text300 | msgspec.UnsetType | None = msgspec.UNSET
    city: Text100 | msgspec.UnsetType | None = msgspec.UNSET
    region: RegionClass | msgspec.UnsetType | None = msgspec.UNSET
    occupation: Occupation | msgspec.UnsetType = msgspec.UNSET
    usage: UsageType | msgspec.UnsetType = msgspec.UNSET
    source: SourceChannel | msgspec.UnsetType = msgspec.UNSET
    home_store_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    tags: Annotated[list[Tag], msgspec.Meta(max_length=50)] | msgspec.UnsetType = msgspec.UNSET
    marketing_consent: bool | msgspec.UnsetType = msgspec.UNSET
    consent_channel: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )


class Consent(msgspec.Struct):
    granted: bool
    at: dt.datetime | None
    channel: FreeText | None


class CustomerOut(msgspec.Struct):
    id: uuid.UUID
    name: Sensitive
    phone: Sensitive | None
    gender: str | None
    birthday: Sensitive | None
    id_number: Sensitive | None
    email: Sensitive | None
    address: Sensitive | None
    city: FreeText | None
    region: str | None
    occupation: str
    usage: str
    source: str
    home_store_id: uuid.UUID | None
    tags: list[FreeText]
    marketing_consent: Consent
    age_band: str | None
    lifecycle: Lifecycle
    visit_count: int
    total_spend: int
    last_visit_at: dt.datetime | None
    erased: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    rfm: RfmOut | None = None  # the nightly run's scores (docs/insights.md); null until scored


class RevealRequest(msgspec.Struct, forbid_unknown_fields=True):
    fields: Annotated[list[RevealField], msgspec.Meta(min_length=1)]
    reason: Annotated[str, msgspec.Meta(min_length=5, max_length=500)]


class RevealOut(msgspec.Struct):
    customer_id: uuid.UUID
    fields: dict[str, str | None]


class EraseRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class VehicleCreate(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    vin: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    plate: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    make: Text100 | None = None
    model: Text100 | None = None
    year: Annotated[int, msgspec.Meta(ge=1950, le=2100)] | None = None
    colour: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    fuel: Fuel = Fuel.petrol
    purchase_date: dt.date | None = None
    warranty_end: dt.date | None = None
    mileage_km: Km | None = None


class VehiclePatch(msgspec.Struct, forbid_unknown_fields=True):
    """``customer_id`` moves the vehicle to another customer (kept as ownership history)."""

    customer_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    plate: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    make: Text100 | msgspec.UnsetType | None = msgspec.UNSET
    model: Text100 | msgspec.UnsetType | None = msgspec.UNSET
    year: Annotated[int, msgspec.Meta(ge=1950, le=2100)] | msgspec.UnsetType | None = msgspec.UNSET
    colour: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType | None = msgspec.UNSET
    fuel: Fuel | msgspec.UnsetType = msgspec.UNSET
    purchase_date: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    warranty_end: dt.date | msgspec.UnsetType | None = msgspec.UNSET


class MileageRequest(msgspec.Struct, forbid_unknown_fields=True):
    mileage_km: Km
    correction: bool = False
    note: Text300 | None = None


class VehicleOut(msgspec.Struct):
    id: uuid.UUID
    customer_id: uuid.UUID
    vin: Sensitive | None
    plate: Sensitive | None
    manufacturer: str | None
    country: str | None
    model_year: int | None
    make: FreeText | None
    model: FreeText | None
    year: int | None
    colour: FreeText | None
    fuel: str
    purchase_date: dt.date | None
    warranty_end: dt.date | None
    in_warranty: bool
    mileage_km: int | None
    created_at: dt.datetime


class OwnershipOut(msgspec.Struct):
    customer_id: uuid.UUID
    started_at: dt.datetime
    ended_at: dt.datetime | None


class MileageOut(msgspec.Struct):
    id: uuid.UUID
    mileage_km: int
    read_at: dt.datetime
    source: str
    service_order_id: uuid.UUID | None
    correction: bool
    previous_km: int | None


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    """A charge (``labor``, ``part``) or a ``discount``, priced alike: the amount is
    ``quantity x unit_price`` rounded half up to the fen, and a discount's is taken off."""

    kind: LineKind
    category: LineCategory
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    quantity: QuantityField
    unit_price: FenField


class ServiceOrderCreate(msgspec.Struct, forbid_unknown_fields=True):
    store_id: uuid.UUID
    customer_id: uuid.UUID
    vehicle_id: uuid.UUID
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=200)]
    advisor_id: uuid.UUID | None = None


class CompleteRequest(msgspec.Struct, forbid_unknown_fields=True):
    mileage_km: Km
    mileage_correction: bool = False


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=500)]


class LineOut(msgspec.Struct):
    """``amount`` is always positive; a ``discount`` line's amount is taken off the total."""

    kind: str
    category: str
    description: FreeText
    quantity: QuantityOut
    unit_price: int
    amount: int


class ServiceOrderOut(msgspec.Struct):
    id: uuid.UUID
    store_id: uuid.UUID
    customer_id: uuid.UUID
    vehicle_id: uuid.UUID
    advisor_id: uuid.UUID | None
    status: OrderStatus
    currency: str
    total: int
    labor_total: int
    parts_total: int
    discount_total: int
    amounts: dict[str, int]
    mileage_km: int | None
    opened_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    refunded_at: dt.datetime | None
    refund_reason: FreeText | None
    next_service_km: int | None
    next_service_date: dt.date | None
    lines: list[LineOut] | None = None


class VehicleHistoryOut(msgspec.Struct):
    vehicle: VehicleOut
    owners: list[OwnershipOut]
    mileage: list[MileageOut]
    service_orders: list[ServiceOrderOut]


class ServiceDue(msgspec.Struct):
    vehicle_id: uuid.UUID
    due_km: int | None
    due_date: dt.date | None


class Totals(msgspec.Struct):
    visit_count: int
    total_spend: int
    last_visit_at: dt.datetime | None


class CustomerProfile(msgspec.Struct):
    customer: CustomerOut
    vehicles: list[VehicleOut]
    recent_orders: list[ServiceOrderOut]
    totals: Totals
    next_service_due: list[ServiceDue]
    sections: list[Section]
