"""Tables of the trade-in plugin: the price table, candidates, leads with their stage
history, appraisals (versioned, locked once offered on) and offers.

Instants are stamped from ``ctx.now()`` (the injected clock), never the database's, so a
test that moves time sees the same dates a customer would.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import JSONDoc, TenantModel, tenant_fk


class PriceRow(TenantModel):
    """The tenant's book value of a make, model and model year, in fen."""

    __tablename__ = "tradein_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "make", "model", "year"),)

    make: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    base_value: Mapped[int] = mapped_column(Integer)


class Candidate(TenantModel):
    """A vehicle the nightly scoring found ripe for a trade-in, with why."""

    __tablename__ = "tradein_candidates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vehicle_id"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        Index("ix_tradein_candidates_tenant_id_store_id", "tenant_id", "store_id"),
    )

    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    age_months: Mapped[int | None] = mapped_column(Integer, default=None)
    projected_km: Mapped[int | None] = mapped_column(Integer, default=None)
    recent_spend: Mapped[int] = mapped_column(Integer, default=0)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    """The customer's consent as of the nightly run: what marketing's list filters on."""
    scored_at: Mapped[dt.datetime]


class Lead(TenantModel):
    __tablename__ = "tradein_leads"
    __table_args__ = (
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        tenant_fk(["recon_order_id"], "service_orders"),
        Index("ix_tradein_leads_tenant_id_store_id_stage", "tenant_id", "store_id", "stage"),
        Index("ix_tradein_leads_tenant_id_customer_id", "tenant_id", "customer_id"),
    )

    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    source: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    stage: Mapped[str] = mapped_column(String(16), default="lead")
    lost_reason: Mapped[str | None] = mapped_column(Text, default=None)
    purchase_price: Mapped[int | None] = mapped_column(Integer, default=None)
    replacement_from_us: Mapped[bool | None] = mapped_column(Boolean, default=None)
    replacement_amount: Mapped[int | None] = mapped_column(Integer, default=None)
    sold_price: Mapped[int | None] = mapped_column(Integer, default=None)
    sold_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    reward_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The purchase reward asked for (uuid5 of the lead: the same id on every retry)."""
    reward_status: Mapped[str | None] = mapped_column(String(20), default=None)
    """``pending_fulfilment`` until membership answers, then ``granted`` or ``rejected``."""
    reward_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    """A rejection's code (``not_enrolled``, ``unknown_template``, ...)."""
    reward_requested_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reward_request: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)
    """What was asked (kind, points, voucher_template), as the settings said at purchase:
    asking again asks for the same, whatever the settings say since."""
    recon_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The core service order reconditioning the car, opened at purchase (``recon.py``)."""
    erased_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime]
    stage_changed_at: Mapped[dt.datetime]


class StageChange(TenantModel):
    """The lead's history: every stage move, when and by whom (the funnel's raw data)."""

    __tablename__ = "tradein_stage_changes"
    __table_args__ = (
        tenant_fk(["lead_id"], "tradein_leads"),
        Index("ix_tradein_stage_changes_tenant_id_lead_id", "tenant_id", "lead_id"),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    from_stage: Mapped[str | None] = mapped_column(String(16), default=None)
    to_stage: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    at: Mapped[dt.datetime]


class Appraisal(TenantModel):
    """One version of a lead's appraisal; a change after an offer is a new version."""

    __tablename__ = "tradein_appraisals"
    __table_args__ = (
        tenant_fk(["lead_id"], "tradein_leads"),
        UniqueConstraint("tenant_id", "lead_id", "version"),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    odometer_km: Mapped[int] = mapped_column(Integer)
    inspection: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    accident: Mapped[bool] = mapped_column(Boolean, default=False)
    flood: Mapped[bool] = mapped_column(Boolean, default=False)
    keys: Mapped[int] = mapped_column(Integer, default=1)
    book_value: Mapped[int] = mapped_column(Integer)
    book_value_source: Mapped[str] = mapped_column(String(16))
    recon_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    grade: Mapped[str] = mapped_column(String(1))
    valuation: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    highest_recorded_km: Mapped[int | None] = mapped_column(Integer, default=None)
    rollback_suspected: Mapped[bool] = mapped_column(Boolean, default=False)
    rollback_reason: Mapped[str | None] = mapped_column(Text, default=None)
    appraiser_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    locked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime]


class Offer(TenantModel):
    __tablename__ = "tradein_offers"
    __table_args__ = (
        tenant_fk(["lead_id"], "tradein_leads"),
        tenant_fk(["appraisal_id"], "tradein_appraisals"),
        Index("ix_tradein_offers_tenant_id_lead_id", "tenant_id", "lead_id"),
        Index(
            "ix_tradein_offers_tenant_id_status_valid_until", "tenant_id", "status", "valid_until"
        ),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    appraisal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    amount: Mapped[int] = mapped_column(Integer)
    valuation: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    approval_reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    valid_days: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    """Set when the offer reaches the customer (at once, or when approved)."""
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime]
