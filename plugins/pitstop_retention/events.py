"""The events the retention plugin emits (``PluginInfo.events``): ids only. Why a customer
is at risk stays in the plugin (``customer_attributes()``, the 360° section)."""

from __future__ import annotations

import uuid

import msgspec

from pitstop.sdk import EventType


class CustomerStateChanged(msgspec.Struct, forbid_unknown_fields=True):
    """A customer became at risk, or dormant, in tonight's run."""

    customer_id: uuid.UUID
    store_id: uuid.UUID | None = None
    """The store of the customer's last visit: whose worklist they belong to."""


class ComplaintSource(msgspec.Struct, forbid_unknown_fields=True):
    plugin: str
    type: str
    id: str


class ComplaintRequested(msgspec.Struct, forbid_unknown_fields=True):
    """Someone asks the complaints plugin to open a complaint, once per ``request_id``."""

    request_id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID
    severity: str
    category: str
    source: ComplaintSource


AT_RISK = EventType(
    "customer.at_risk", CustomerStateChanged, description="A customer became at risk."
)
DORMANT = EventType(
    "customer.dormant", CustomerStateChanged, description="A customer became dormant."
)
COMPLAINT_REQUESTED = EventType(
    "complaint.requested",
    ComplaintRequested,
    description="A low follow-up score asks for a complaint (once per survey: request_id).",
)
EVENT_TYPES = (AT_RISK, DORMANT, COMPLAINT_REQUESTED)
