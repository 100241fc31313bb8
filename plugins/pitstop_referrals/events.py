"""The events the referrals plugin emits (``PluginInfo.events``): ids and states only.
Who referred whom by name, phones and codes stay in the plugin's tables (a code is a
bearer secret of a kind: whoever holds it can claim a referral).
"""

from __future__ import annotations

import uuid

import msgspec

from pitstop.sdk import EventType


class ReferralEvent(msgspec.Struct, forbid_unknown_fields=True):
    """Something happened to a referral; ``reason`` says why one was disqualified."""

    referral_id: uuid.UUID
    referrer_id: uuid.UUID
    referee_id: uuid.UUID
    store_id: uuid.UUID | None
    status: str
    reason: str | None = None


LINKED = EventType("referral.linked", ReferralEvent, description="A referee linked to a code.")
QUALIFIED = EventType(
    "referral.qualified",
    ReferralEvent,
    description="The referee's first paid order passed its return window.",
)
DISQUALIFIED = EventType(
    "referral.disqualified", ReferralEvent, description="Refunded, too small, or rejected."
)
REWARDED = EventType(
    "referral.rewarded", ReferralEvent, description="Every side's reward was answered."
)
EVENT_TYPES = (LINKED, QUALIFIED, DISQUALIFIED, REWARDED)
