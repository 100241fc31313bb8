"""The events the complaints plugin emits, and what each carries (``PluginInfo.events``).

Ids, grades and instants only: a complaint's description, the customer's words and the
resolution text never leave the plugin's tables. Subscribers (a survey plugin, a BI feed)
read the Struct's JSON Schema at ``GET /api/v1/events/types``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from pitstop.sdk import EventType

Instant = Annotated[dt.datetime, msgspec.Meta(tz=True)]


class ComplaintCreated(msgspec.Struct, forbid_unknown_fields=True):
    """A complaint was logged, graded and routed; its two SLA clocks are running."""

    complaint_id: uuid.UUID
    store_id: uuid.UUID
    customer_id: uuid.UUID
    severity: str
    category: str
    channel: str
    top_tier: bool
    """The customer holds the top membership tier (tighter targets, escalation from 2)."""
    response_due_at: Instant
    resolution_due_at: Instant


class ComplaintWarning(msgspec.Struct, forbid_unknown_fields=True):
    """An SLA clock is close to its deadline (once per clock and cycle)."""

    complaint_id: uuid.UUID
    store_id: uuid.UUID
    clock: str
    """``response`` (first response) or ``resolution``."""
    severity: str
    due_at: Instant


class ComplaintBreached(msgspec.Struct, forbid_unknown_fields=True):
    """An SLA clock passed its deadline unmet."""

    complaint_id: uuid.UUID
    store_id: uuid.UUID
    clock: str
    """``response`` (first response) or ``resolution``."""
    severity: str
    due_at: Instant
    late_seconds: float


class ComplaintEscalated(msgspec.Struct, forbid_unknown_fields=True):
    """A breached complaint went up one escalation level (to HQ at the top)."""

    complaint_id: uuid.UUID
    store_id: uuid.UUID
    level: int
    severity: str
    top_tier: bool


class ComplaintResolved(msgspec.Struct, forbid_unknown_fields=True):
    """A complaint was resolved, with how its SLA went."""

    complaint_id: uuid.UUID
    store_id: uuid.UUID
    severity: str
    first_contact: bool
    response_breached: bool
    resolution_breached: bool
    reopen_count: int


CREATED = EventType("complaint.created", ComplaintCreated)
WARNING = EventType("complaint.warning", ComplaintWarning)
BREACHED = EventType("complaint.breached", ComplaintBreached)
ESCALATED = EventType("complaint.escalated", ComplaintEscalated)
RESOLVED = EventType("complaint.resolved", ComplaintResolved)
EVENT_TYPES = (CREATED, WARNING, BREACHED, ESCALATED, RESOLVED)
