"""The events the membership plugin emits about vouchers and rewards.

``reward.granted`` and ``reward.rejected`` answer the core's reward contract
(``reward.requested``); their payload Structs are the core's (``pitstop.sdk``), so every
requester reads the same fields, and membership declares the types, so it is their one
emitter. Ids and figures only: a voucher's code is a bearer secret and never travels.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from pitstop.sdk import EventType, RewardGranted, RewardRejected


class VoucherExpiring(msgspec.Struct, forbid_unknown_fields=True):
    """An unused voucher ends within 7 days (once per voucher): remind the customer."""

    voucher_id: uuid.UUID
    customer_id: uuid.UUID
    template_id: uuid.UUID
    valid_until: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    """The first instant it no longer counts."""


VOUCHER_EXPIRING = EventType("voucher.expiring", VoucherExpiring)
REWARD_GRANTED = EventType(
    "reward.granted",
    RewardGranted,
    description="A reward.requested was fulfilled (once per reward_id).",
)
REWARD_REJECTED = EventType(
    "reward.rejected",
    RewardRejected,
    description="A reward.requested cannot be fulfilled; reason says why.",
)
VOUCHER_EVENT_TYPES = (VOUCHER_EXPIRING, REWARD_GRANTED, REWARD_REJECTED)
