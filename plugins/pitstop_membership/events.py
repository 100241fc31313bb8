"""The events the membership plugin emits, and what each carries (``PluginInfo.events``).

Ids and figures only. Subscribers (a messaging plugin that tells a member about expiring
points) read the Struct's JSON Schema at ``GET /api/v1/events/types``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from pitstop.sdk import EventType


class PointsExpired(msgspec.Struct, forbid_unknown_fields=True):
    """Points reached the end of their life and left the balance (one event per member)."""

    customer_id: uuid.UUID
    points: int
    lots: list[uuid.UUID]
    balance: int
    """The member's balance after the expiry."""


class PointsExpiring(msgspec.Struct, forbid_unknown_fields=True):
    """Points will expire within 30 days (once per lot)."""

    customer_id: uuid.UUID
    points: int
    expires_at: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    """When the first of them expires."""
    lots: list[uuid.UUID]


class TierChanged(msgspec.Struct, forbid_unknown_fields=True):
    """The tier in force changed (earned, or a manual override began or ended)."""

    customer_id: uuid.UUID
    before: str = msgspec.field(name="from")
    after: str = msgspec.field(name="to")
    earned_tier: str
    source: str
    """Why ``to`` is in force: ``earned`` by spend, or an ``override`` until its end."""
    reason: str


POINTS_EXPIRED = EventType("membership.points_expired", PointsExpired)
POINTS_EXPIRING = EventType("membership.points_expiring", PointsExpiring)
TIER_CHANGED = EventType("membership.tier_changed", TierChanged)
EVENT_TYPES = (POINTS_EXPIRED, POINTS_EXPIRING, TIER_CHANGED)
