"""The events the trade-in plugin emits (``PluginInfo.events``): ids, stages and amounts in
fen only. Who the customer is, the plate and any note stay in the plugin's tables.
"""

from __future__ import annotations

import uuid

import msgspec

from pitstop.sdk import EventType


class LeadEvent(msgspec.Struct, forbid_unknown_fields=True):
    """Something happened to a trade-in lead (created, purchased, sold)."""

    lead_id: uuid.UUID
    store_id: uuid.UUID
    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    stage: str
    amount: int | None = None
    """The purchase or sale price in fen, where the event is about one."""


class Appraised(msgspec.Struct, forbid_unknown_fields=True):
    lead_id: uuid.UUID
    appraisal_id: uuid.UUID
    store_id: uuid.UUID
    version: int
    grade: str
    valuation: int
    rollback_suspected: bool


class OfferEvent(msgspec.Struct, forbid_unknown_fields=True):
    lead_id: uuid.UUID
    offer_id: uuid.UUID
    store_id: uuid.UUID
    amount: int
    valuation: int
    status: str


LEAD_CREATED = EventType("tradein.lead_created", LeadEvent)
APPRAISED = EventType("tradein.appraised", Appraised)
OFFER_MADE = EventType("tradein.offer_made", OfferEvent)
OFFER_ACCEPTED = EventType("tradein.offer_accepted", OfferEvent)
OFFER_EXPIRED = EventType("tradein.offer_expired", OfferEvent)
PURCHASED = EventType("tradein.purchased", LeadEvent)
SOLD = EventType("tradein.sold", LeadEvent)
EVENT_TYPES = (
    LEAD_CREATED,
    APPRAISED,
    OFFER_MADE,
    OFFER_ACCEPTED,
    OFFER_EXPIRED,
    PURCHASED,
    SOLD,
)
