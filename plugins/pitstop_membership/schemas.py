"""Request and response bodies of the membership API (msgspec: validated at the edge)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from pitstop.sdk import FreeText

MAX_POINTS = 100_000_000
Points = Annotated[int, msgspec.Meta(gt=0, le=MAX_POINTS)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RedeemIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Points
    reason: Reason
    order_id: uuid.UUID | None = None
    """The service order the points pay towards: it fixes the store that redeemed them."""
    store_id: uuid.UUID | None = None
    """Where the points are spent when there is no order (defaults to one's only store)."""


class AdjustIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[int, msgspec.Meta(ge=-MAX_POINTS, le=MAX_POINTS)]
    """Positive grants points (a new lot), negative takes them (never below zero)."""
    reason: Reason
    store_id: uuid.UUID | None = None


class TierOverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    tier: str | None
    """A tier code, or null to end the override now."""
    reason: Reason
    until: dt.date | None = None
    """Last day (programme time zone) the override is in force; required with a tier."""


class TierOut(msgspec.Struct):
    code: str
    name: str
    multiplier: float
    benefits: str
    threshold: int


class ExpiringOut(msgspec.Struct):
    points: int
    first_expires_at: dt.datetime | None


class AccountOut(msgspec.Struct):
    customer_id: uuid.UUID
    balance: int
    pending: int
    spendable: int
    tier: TierOut
    tier_source: str
    earned_tier: str
    override_until: dt.datetime | None
    qualifying_spend: int
    next_tier: TierOut | None
    spend_to_next_tier: int
    next_review_on: dt.date
    spend_to_keep_tier: int
    """Spend (fen) still needed before the review date to keep the earned tier."""
    expiring_soon: ExpiringOut
    enrolled_at: dt.datetime


class EntryOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    points: int
    reason: FreeText
    """Typed by staff: personal data in it is masked for a reader who sees it masked."""
    spend: int
    store_id: uuid.UUID | None
    order_id: uuid.UUID | None
    occurred_at: dt.datetime


class PostingOut(msgspec.Struct):
    entry: EntryOut
    balance: int
    spendable: int


class StoreLiability(msgspec.Struct):
    store_id: uuid.UUID | None
    issued: int
    redeemed: int
    expired: int
    reversed: int
    outstanding: int


class Settlement(msgspec.Struct):
    earned_at_store_id: uuid.UUID | None
    redeemed_at_store_id: uuid.UUID | None
    points: int


class LiabilityReport(msgspec.Struct):
    period_from: dt.datetime
    period_to: dt.datetime
    stores: list[StoreLiability]
    cross_store: list[Settlement]
