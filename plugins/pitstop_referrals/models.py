"""Tables of the referrals plugin: codes, referrals (with their fraud signals and review)
and one reward row per side.

Instants come from ``ctx.now()`` (the injected clock). ``(referral_id, side)`` is unique,
so a side is rewarded once ever, whatever duplicate or late events arrive; the
``reward_id`` sent to the fulfiller is derived from the same pair.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import JSONDoc, TenantModel, tenant_fk


class ReferralCode(TenantModel):
    """A customer's invitation code; one active (unexpired) per customer at a time."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        Index("ix_referral_codes_tenant_id_customer_id", "tenant_id", "customer_id"),
        Index(
            "ix_referral_codes_tenant_id_store_id_created_at", "tenant_id", "store_id", "created_at"
        ),
    )

    code: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """None once the customer is erased: the code stays counted, but leads to nobody."""
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The store whose desk issued it (the one named, else the caller's); None: HQ's."""
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class Referral(TenantModel):
    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "referee_id"),
        tenant_fk(["code_id"], "referral_codes"),
        tenant_fk(["referrer_id"], "customers"),
        tenant_fk(["referee_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        Index("ix_referrals_tenant_id_store_id_status", "tenant_id", "store_id", "status"),
        Index("ix_referrals_tenant_id_referrer_id", "tenant_id", "referrer_id"),
        Index("ix_referrals_tenant_id_status_qualifies_at", "tenant_id", "status", "qualifies_at"),
    )

    code_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    referee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """Both None once that person is erased: the referral still counts in the KPIs."""
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    status: Mapped[str] = mapped_column(String(20))
    held_status: Mapped[str | None] = mapped_column(String(20), default=None)
    """While in ``review``: where the referral stands otherwise (``pending``,
    ``qualifying``, ``qualified``); an approval resumes it there."""
    signals: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    """Why it was disqualified or rejected (a code, never free text)."""
    linked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    linked_at: Mapped[dt.datetime]
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    order_total: Mapped[int | None] = mapped_column(Integer, default=None)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    qualifies_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    qualified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    """When it was rewarded, disqualified or rejected."""


class ReferralReward(TenantModel):
    """One side's reward: ``referrer``, ``referee`` or ``bonus`` (a tier bonus)."""

    __tablename__ = "referral_rewards"
    __table_args__ = (
        UniqueConstraint("tenant_id", "referral_id", "side"),
        UniqueConstraint("tenant_id", "reward_id"),
        tenant_fk(["referral_id"], "referrals"),
        Index("ix_referral_rewards_tenant_id_customer_id", "tenant_id", "customer_id"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    side: Mapped[str] = mapped_column(String(10))
    reward_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer, default=0)
    voucher_template: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(20))
    """``pending_fulfilment`` until answered, then ``granted`` or ``rejected``; ``capped``
    (the referrer's yearly cap was reached) and ``none`` (nothing to give) are settled;
    ``revoked`` once the referral was found fraudulent after it was asked for."""
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    voucher_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    ledger_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    value: Mapped[int | None] = mapped_column(Integer, default=None)
    """Fen, as the fulfiller answered (a voucher's face value); None for points."""
    requested_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
