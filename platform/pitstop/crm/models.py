"""Customers, vehicles and service orders: the rows a front desk touches all day.

Customers and vehicles belong to the whole tenant (a chain recognises its customer at every
store); service orders belong to a store. Every reference is a composite ``(tenant_id, x)``
foreign key, so no row can point into another tenant. Personal values are plain columns
here: they are classified and masked on the way out (see :mod:`pitstop.crm.schemas`), and
anonymised in place by erasure, which keeps the ids that financial history hangs on.

Derived figures (visit count, spend, last visit, lifecycle, age band) are computed from
service orders and vehicles when read, never stored by hand, so they cannot drift.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import JSONDoc, TenantModel, Timestamps, tenant_fk, utcnow
from pitstop.tenancy.models import RegionClass


class Gender(enum.StrEnum):
    male = "male"
    female = "female"


class Occupation(enum.StrEnum):
    civil_servant = "civil_servant"
    office_worker = "office_worker"
    migrant_worker = "migrant_worker"
    farmer = "farmer"
    business_owner = "business_owner"
    other = "other"


class UsageType(enum.StrEnum):
    private = "private"
    official = "official"
    commercial = "commercial"


class SourceChannel(enum.StrEnum):
    walk_in = "walk_in"
    phone = "phone"
    web = "web"
    mini_program = "mini_program"
    referral = "referral"
    platform = "platform"
    other = "other"


class Fuel(enum.StrEnum):
    petrol = "petrol"
    diesel = "diesel"
    hybrid = "hybrid"
    ev = "ev"


class OrderStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    completed = "completed"
    refunded = "refunded"


class LineKind(enum.StrEnum):
    labor = "labor"
    part = "part"
    discount = "discount"
    """Money given back (a voucher, a referral reward): a positive amount off the total."""


class LineCategory(enum.StrEnum):
    maintenance = "maintenance"
    repair = "repair"
    beauty = "beauty"
    tyre = "tyre"
    inspection = "inspection"
    other = "other"


class MileageSource(enum.StrEnum):
    registration = "registration"
    service_order = "service_order"
    manual = "manual"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Plain strings checked by the app: adding a value needs no DDL on either database."""
    return Enum(cls, name=name, native_enum=False, validate_strings=True, length=32)


class Customer(Timestamps, TenantModel):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "phone"),
        Index("ix_customers_tenant_id_phone_last4", "tenant_id", "phone_last4"),
        Index("ix_customers_tenant_id_name", "tenant_id", "name"),
        Index("ix_customers_tenant_id_home_store_id", "tenant_id", "home_store_id"),
        tenant_fk(["home_store_id"], "stores"),
    )

    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    """E.164; None only once erased (a unique key must not be faked with a dummy value)."""
    phone_last4: Mapped[str | None] = mapped_column(String(4), default=None)
    gender: Mapped[Gender | None] = mapped_column(_enum(Gender, "gender"), default=None)
    birthday: Mapped[dt.date | None] = mapped_column(Date, default=None)
    id_number: Mapped[str | None] = mapped_column(String(18), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    region: Mapped[RegionClass | None] = mapped_column(
        _enum(RegionClass, "region_class"), default=None
    )
    occupation: Mapped[Occupation] = mapped_column(
        _enum(Occupation, "occupation"), default=Occupation.other
    )
    usage: Mapped[UsageType] = mapped_column(
        _enum(UsageType, "usage_type"), default=UsageType.private
    )
    source: Mapped[SourceChannel] = mapped_column(
        _enum(SourceChannel, "source_channel"), default=SourceChannel.walk_in
    )
    home_store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    consent_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    erased_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Vehicle(Timestamps, TenantModel):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vin"),
        UniqueConstraint("tenant_id", "plate"),
        Index("ix_vehicles_tenant_id_customer_id", "tenant_id", "customer_id"),
        # The customer list's make/model filters compare case-insensitively.
        Index("ix_vehicles_tenant_id_lower_make", "tenant_id", text("lower(make)")),
        Index("ix_vehicles_tenant_id_lower_model", "tenant_id", text("lower(model)")),
        tenant_fk(["customer_id"], "customers"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    """The current owner; earlier owners are in ``vehicle_ownerships``."""
    vin: Mapped[str | None] = mapped_column(String(17), default=None)
    plate: Mapped[str | None] = mapped_column(String(10), default=None)
    make: Mapped[str | None] = mapped_column(String(100), default=None)
    model: Mapped[str | None] = mapped_column(String(100), default=None)
    year: Mapped[int | None] = mapped_column(Integer, default=None)
    colour: Mapped[str | None] = mapped_column(String(32), default=None)
    fuel: Mapped[Fuel] = mapped_column(_enum(Fuel, "fuel"), default=Fuel.petrol)
    purchase_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    warranty_end: Mapped[dt.date | None] = mapped_column(Date, default=None)
    mileage_km: Mapped[int | None] = mapped_column(Integer, default=None)
    """The latest accepted reading (the timeline is in ``mileage_readings``)."""


class VehicleOwnership(TenantModel):
    """Who owned a vehicle when: a transfer ends one row and starts the next."""

    __tablename__ = "vehicle_ownerships"
    __table_args__ = (
        Index("ix_vehicle_ownerships_tenant_id_vehicle_id", "tenant_id", "vehicle_id"),
        Index("ix_vehicle_ownerships_tenant_id_customer_id", "tenant_id", "customer_id"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["customer_id"], "customers"),
    )

    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class MileageReading(TenantModel):
    """One odometer reading; a lower one than the last is kept only as a flagged correction."""

    __tablename__ = "mileage_readings"
    __table_args__ = (
        Index("ix_mileage_readings_tenant_id_vehicle_id", "tenant_id", "vehicle_id"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["service_order_id"], "service_orders"),
    )

    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    mileage_km: Mapped[int] = mapped_column(Integer)
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[MileageSource] = mapped_column(_enum(MileageSource, "mileage_source"))
    service_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    correction: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_km: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str | None] = mapped_column(String(300), default=None)


class ServiceOrder(Timestamps, TenantModel):
    """A store's work order; money in integer fen, totals computed by the server."""

    __tablename__ = "service_orders"
    __table_args__ = (
        Index("ix_service_orders_tenant_id_store_id", "tenant_id", "store_id"),
        Index("ix_service_orders_tenant_id_customer_id", "tenant_id", "customer_id"),
        Index("ix_service_orders_tenant_id_vehicle_id", "tenant_id", "vehicle_id"),
        Index("ix_service_orders_tenant_id_completed_at", "tenant_id", "completed_at"),
        Index(
            "ix_service_orders_tenant_id_store_id_completed_at",
            "tenant_id",
            "store_id",
            "completed_at",
        ),
        tenant_fk(["store_id"], "stores"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["advisor_id"], "memberships"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    status: Mapped[OrderStatus] = mapped_column(
        _enum(OrderStatus, "order_status"), default=OrderStatus.open
    )
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    labor_total: Mapped[int] = mapped_column(BigInteger, default=0)
    parts_total: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """``total`` = ``labor_total`` + ``parts_total`` - ``discount_total``, never below zero."""
    amounts: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    """Per line category, in fen, net of that category's discounts (they add up to
    ``total``): what ``service_order.completed`` carries to plugins."""
    mileage_km: Mapped[int | None] = mapped_column(Integer, default=None)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    refunded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    refund_reason: Mapped[str | None] = mapped_column(Text, default=None)
    next_service_km: Mapped[int | None] = mapped_column(Integer, default=None)
    next_service_date: Mapped[dt.date | None] = mapped_column(Date, default=None)


class ServiceOrderLine(TenantModel):
    __tablename__ = "service_order_lines"
    __table_args__ = (
        Index("ix_service_order_lines_tenant_id_order_id", "tenant_id", "order_id"),
        tenant_fk(["order_id"], "service_orders", ondelete="CASCADE"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[LineKind] = mapped_column(_enum(LineKind, "line_kind"))
    category: Mapped[LineCategory] = mapped_column(_enum(LineCategory, "line_category"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    """Exact, up to three decimals (4.5 L of oil): never a float in the database."""
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    """``quantity x unit_price`` rounded half up to the fen; positive for every kind."""


class CustomerRfm(TenantModel):
    """A customer's latest RFM scores and segment, rewritten by the nightly run
    (``pitstop.insights.rfm``); one row per customer with a visit. Kept in the CRM because
    the customer list filters on it and the customer shows it."""

    __tablename__ = "customer_rfm"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        # The customer id last: a filtered list pages by it (migration 0016).
        Index(
            "ix_customer_rfm_tenant_id_segment_customer_id", "tenant_id", "segment", "customer_id"
        ),
        Index(
            "ix_customer_rfm_tenant_id_last_store_id_customer_id",
            "tenant_id",
            "last_store_id",
            "customer_id",
        ),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["last_store_id"], "stores"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    """Visits within the window."""
    monetary: Mapped[int] = mapped_column(BigInteger)
    """Completed orders' totals within the window, fen."""
    r: Mapped[int] = mapped_column(Integer)
    f: Mapped[int] = mapped_column(Integer)
    m: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(32))
    last_store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The store of the latest visit: a store's segments are its customers' (home or last)."""
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


CRM_TABLES = (
    "customers",
    "vehicles",
    "vehicle_ownerships",
    "service_orders",
    "service_order_lines",
    "mileage_readings",
    "customer_rfm",
    "store_days",
)
