"""What the referrals API takes and gives. Ids, states, signal names and figures; the only
personal datum is the referrer's masked name on a code lookup (already masked by the core).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from .models import Referral, ReferralCode, ReferralReward

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
STATUSES = ("pending", "review", "qualifying", "qualified", "rewarded", "disqualified", "rejected")


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    store_id: uuid.UUID | None = None
    """The issuing desk; default the caller's store (HQ's code when they have none)."""


class CodeOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    share_text: str
    customer_id: uuid.UUID | None
    expires_at: dt.datetime
    store_id: uuid.UUID | None = None


class CodeLookup(msgspec.Struct):
    """For the front desk: whose code it is (masked) and whether it still works."""

    code: str
    referrer_name: str | None
    active: bool
    expires_at: dt.datetime


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    referee_customer_id: uuid.UUID
    store_id: uuid.UUID | None = None


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class RewardOut(msgspec.Struct):
    side: str
    reward_id: uuid.UUID
    kind: str
    points: int
    voucher_template: str | None
    status: str
    reason: str | None
    voucher_id: uuid.UUID | None
    ledger_entry_id: uuid.UUID | None
    requested_at: dt.datetime
    answered_at: dt.datetime | None
    value: int | None = None
    """Fen, as the fulfiller answered (a voucher's face value); None for points."""


class ReferralOut(msgspec.Struct):
    id: uuid.UUID
    status: str
    held_status: str | None
    referrer_id: uuid.UUID | None
    referee_id: uuid.UUID | None
    store_id: uuid.UUID | None
    signals: list[str]
    reason: str | None
    linked_at: dt.datetime
    order_id: uuid.UUID | None
    order_total: int | None
    qualifies_at: dt.datetime | None
    qualified_at: dt.datetime | None
    closed_at: dt.datetime | None
    rewards: list[RewardOut] | None = None
    """On the detail only; ``pending_fulfilment`` until the fulfiller answers."""


def code_out(row: ReferralCode, share: str) -> CodeOut:
    return CodeOut(
        row.id, row.code, share.format(code=row.code), row.customer_id, row.expires_at,
        row.store_id,
    )  # fmt: skip


def reward_out(row: ReferralReward) -> RewardOut:
    return RewardOut(
        row.side, row.reward_id, row.kind, row.points, row.voucher_template, row.status,
        row.reason, row.voucher_id, row.ledger_entry_id, row.requested_at, row.answered_at,
        row.value,
    )  # fmt: skip


def referral_out(row: Referral, rewards: list[ReferralReward] | None = None) -> ReferralOut:
    return ReferralOut(
        row.id, row.status, row.held_status, row.referrer_id, row.referee_id, row.store_id,
        list(row.signals), row.reason, row.linked_at, row.order_id, row.order_total,
        row.qualifies_at, row.qualified_at, row.closed_at,
        None if rewards is None else [reward_out(r) for r in rewards],
    )  # fmt: skip
