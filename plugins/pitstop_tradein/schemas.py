"""Request and response shapes of the trade-in API (strict: unknown fields are 422s).

Money is integer fen everywhere. A lead's note and a lost reason are what staff type, so
they leave as :class:`~pitstop.sdk.FreeText`; a plate leaves as ``Sensitive``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from pitstop.sdk import FreeText, Sensitive, free_text, sensitive

from .models import Appraisal, Candidate, Lead, Offer, PriceRow
from .stages import allowed

Fen = Annotated[int, msgspec.Meta(ge=0, le=10_000_000_000)]
Km = Annotated[int, msgspec.Meta(ge=0, le=3_000_000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Source = Literal["candidate", "walk_in", "referral", "campaign"]
GradeScore = Annotated[int, msgspec.Meta(ge=1, le=5)]


class LeadCreate(msgspec.Struct, forbid_unknown_fields=True):
    vehicle_id: uuid.UUID
    source: Source
    note: Note | None = None
    store_id: uuid.UUID | None = None
    """Defaults to the caller's store (store-scoped staff) or the car's last service store."""


class Part(msgspec.Struct, forbid_unknown_fields=True):
    grade: GradeScore
    note: Note | None = None


class Inspection(msgspec.Struct, forbid_unknown_fields=True):
    exterior: Part
    interior: Part
    mechanical: Part
    tyres: Part
    electrical: Part


class ReconItem(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    estimate: Fen


class AppraisalCreate(msgspec.Struct, forbid_unknown_fields=True):
    odometer_km: Km
    inspection: Inspection
    accident: bool = False
    flood: bool = False
    keys: Annotated[int, msgspec.Meta(ge=0, le=10)] = 1
    book_value: Fen | None = None
    """Entered by hand (with ``book_value_source``); else the price table's row."""
    book_value_source: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] | None = None
    recon_items: list[ReconItem] = msgspec.field(default_factory=list)
    confirm_odometer: bool = False
    odometer_reason: Reason | None = None


class PriceRowIn(msgspec.Struct, forbid_unknown_fields=True):
    make: Name
    model: Name
    year: Annotated[int, msgspec.Meta(ge=1950, le=2100)]
    base_value: Fen


class PriceTable(msgspec.Struct, forbid_unknown_fields=True):
    rows: Annotated[list[PriceRowIn], msgspec.Meta(max_length=5000)]


class OfferCreate(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(gt=0, le=10_000_000_000)]
    valid_days: Annotated[int, msgspec.Meta(ge=1, le=90)] | None = None


class Replacement(msgspec.Struct, forbid_unknown_fields=True):
    bought_from_us: bool
    amount: Fen | None = None


class Purchase(msgspec.Struct, forbid_unknown_fields=True):
    price: Fen
    replacement: Replacement


class Sold(msgspec.Struct, forbid_unknown_fields=True):
    price: Fen
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class Lost(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class StepOut(msgspec.Struct):
    step: str
    amount: int
    note: str


class LeadOut(msgspec.Struct):
    id: uuid.UUID
    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID
    source: str
    stage: str
    allowed_moves: list[str]
    note: FreeText | None
    lost_reason: FreeText | None
    purchase_price: int | None
    replacement_from_us: bool | None
    replacement_amount: int | None
    sold_price: int | None
    sold_channel: str | None
    created_at: dt.datetime
    stage_changed_at: dt.datetime
    reward_status: str | None = None
    """The seller's purchase reward: ``pending_fulfilment``, ``granted`` or ``rejected``."""
    reward_reason: str | None = None
    recon_order_id: uuid.UUID | None = None
    """The reconditioning service order opened at purchase (the car is the shop's now)."""


class AppraisalOut(msgspec.Struct):
    id: uuid.UUID
    lead_id: uuid.UUID
    version: int
    odometer_km: int
    inspection: dict[str, Any]
    accident: bool
    flood: bool
    keys: int
    book_value: int
    book_value_source: str
    recon_items: list[dict[str, Any]]
    grade: str
    valuation: int
    breakdown: list[StepOut]
    highest_recorded_km: int | None
    odometer_rollback_suspected: bool
    odometer_reason: FreeText | None
    locked: bool
    created_at: dt.datetime


class OfferOut(msgspec.Struct):
    id: uuid.UUID
    lead_id: uuid.UUID
    appraisal_id: uuid.UUID
    amount: int
    valuation: int
    status: str
    approval_reasons: list[str]
    valid_until: dt.datetime | None
    decided_at: dt.datetime | None
    answered_at: dt.datetime | None
    created_at: dt.datetime


class CandidateOut(msgspec.Struct):
    id: uuid.UUID
    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID | None
    plate: Sensitive | None
    score: int
    reasons: list[str]
    age_months: int | None
    projected_km: int | None
    recent_spend: int
    scored_at: dt.datetime


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut(
        lead.id,
        lead.vehicle_id,
        lead.customer_id,
        lead.store_id,
        lead.source,
        lead.stage,
        allowed(lead.stage),
        free_text(lead.note),
        free_text(lead.lost_reason),
        lead.purchase_price,
        lead.replacement_from_us,
        lead.replacement_amount,
        lead.sold_price,
        lead.sold_channel,
        lead.created_at,
        lead.stage_changed_at,
        lead.reward_status,
        lead.reward_reason,
        lead.recon_order_id,
    )


def appraisal_out(a: Appraisal) -> AppraisalOut:
    return AppraisalOut(
        a.id,
        a.lead_id,
        a.version,
        a.odometer_km,
        {
            part: {"grade": value["grade"], "note": free_text(value.get("note"))}
            for part, value in a.inspection.items()
        },
        a.accident,
        a.flood,
        a.keys,
        a.book_value,
        a.book_value_source,
        a.recon_items,
        a.grade,
        a.valuation,
        [StepOut(**s) for s in a.breakdown],
        a.highest_recorded_km,
        a.rollback_suspected,
        free_text(a.rollback_reason),
        a.locked_at is not None,
        a.created_at,
    )


def offer_out(o: Offer) -> OfferOut:
    return OfferOut(
        o.id,
        o.lead_id,
        o.appraisal_id,
        o.amount,
        o.valuation,
        o.status,
        list(o.approval_reasons),
        o.valid_until,
        o.decided_at,
        o.answered_at,
        o.created_at,
    )


def candidate_out(c: Candidate, plate: str | None) -> CandidateOut:
    return CandidateOut(
        c.id,
        c.vehicle_id,
        c.customer_id,
        c.store_id,
        sensitive(plate, "plate"),
        c.score,
        list(c.reasons),
        c.age_months,
        c.projected_km,
        c.recent_spend,
        c.scored_at,
    )


def price_out(row: PriceRow) -> PriceRowIn:
    return PriceRowIn(row.make, row.model, row.year, row.base_value)
