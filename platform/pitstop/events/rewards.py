"""The reward contract: one set of event payloads any plugin uses to reward a customer.

Referrals, trade-in, retention and complaints all end in "give this customer something";
none of them should import the plugin that keeps points or vouchers. So the core owns the
*shape* of the conversation and no plugin owns the words:

* ``reward.requested`` and ``reward.revoked`` are **convention types**: declared here by the
  core, emitted by any plugin (the one exception to "one declared emitter per type"), never
  declared again by one. A convention type is a question anyone may ask.
* ``reward.granted`` and ``reward.rejected`` are the answers. Their payload Structs live
  here so every requester reads the same fields, but the *type* is declared by the one
  plugin that fulfils rewards (``membership``) in its ``PluginInfo.events``, so no other
  plugin can forge a grant.

``reward_id`` is the requester's idempotency key: the fulfiller answers each id once, however
often the request is delivered or emitted again. Ids and figures only; the voucher's code
never travels (it is a bearer secret).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from pitstop.events.types import EventType

CONVENTION = "convention"
"""The emitter name of a convention type: any plugin may emit it, none may declare it."""

RewardKind = Literal["points", "voucher"]


class RewardSource(msgspec.Struct, forbid_unknown_fields=True):
    """What the reward is for, in the requester's own terms (``referral`` ``42``)."""

    plugin: str
    type: str
    id: str


class RewardRequested(msgspec.Struct, forbid_unknown_fields=True):
    """A plugin asks for a reward for a customer; ``reward_id`` is its idempotency key."""

    reward_id: uuid.UUID
    customer_id: uuid.UUID
    kind: RewardKind
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    source: RewardSource
    points: Annotated[int, msgspec.Meta(ge=0)] = 0
    """For ``kind: points``: how many (above 0)."""
    voucher_template: str | None = None
    """For ``kind: voucher``: the voucher template's code (``REFERRAL50``)."""


class RewardGranted(msgspec.Struct, forbid_unknown_fields=True):
    """The reward was given (once per ``reward_id``); one of the two ids is set."""

    reward_id: uuid.UUID
    voucher_id: uuid.UUID | None = None
    ledger_entry_id: uuid.UUID | None = None
    value: int | None = None
    """What the reward is worth in fen, for a requester's cost figures: a fixed-sum
    voucher's face value, or the most a percent/item voucher takes off (its
    ``max_discount``). None for points - a programme's points have no fen value - and for
    a voucher without a cap (SDK 1.3, additive)."""


class RewardRejected(msgspec.Struct, forbid_unknown_fields=True):
    """The reward cannot be given; ``reason`` is a code the requester can show or act on:
    ``not_enrolled``, ``unknown_customer``, ``template_inactive``, ``unknown_template``,
    ``budget_exhausted``, ``invalid_request``."""

    reward_id: uuid.UUID
    reason: str


class RewardRevoked(msgspec.Struct, forbid_unknown_fields=True):
    """The requester takes a reward back (the referral was fraudulent): claw the points
    back, or void the voucher if it is still unused."""

    reward_id: uuid.UUID
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


REWARD_REQUESTED = EventType(
    "reward.requested",
    RewardRequested,
    description="Any plugin asks for points or a voucher for a customer (convention type).",
)
REWARD_REVOKED = EventType(
    "reward.revoked",
    RewardRevoked,
    description="Any plugin takes back a reward it requested (convention type).",
)
CONVENTION_EVENT_TYPES: tuple[EventType, ...] = (REWARD_REQUESTED, REWARD_REVOKED)
"""Types any plugin may emit and none may declare."""

CONVENTION_EVENTS: dict[str, EventType] = {t.name: t for t in CONVENTION_EVENT_TYPES}
