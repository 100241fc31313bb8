"""Tables of the membership programme: accounts, the ledger, lots and their movements.

The ledger is append-only and says *why* a balance changed; lots say *which* points are
held (where they were issued, when they become spendable, when they expire); movements
say which lot each entry took points from. Three views of the same points, kept equal in
one transaction, so that "which store pays for points redeemed elsewhere" is a query over
movements rather than a guess.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import Enum, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import JSONDoc, TenantModel, Timestamps, tenant_fk


class EntryKind(enum.StrEnum):
    earn = "earn"
    redeem = "redeem"
    expire = "expire"
    adjust = "adjust"
    reverse = "reverse"


class MovementKind(enum.StrEnum):
    redeem = "redeem"
    expire = "expire"
    adjust = "adjust"
    reverse = "reverse"
    repay = "repay"
    """An earn or grant paying off a debt: points move between lots, none leave."""


class LotKind(enum.StrEnum):
    earn = "earn"
    adjust = "adjust"
    debt = "debt"
    """What a member owes after a clawback took more than they held; earns repay it first."""


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, validate_strings=True, length=16)


class MemberAccount(Timestamps, TenantModel):
    """One per customer: cached balances (equal to lots and entries) and the tier state."""

    __tablename__ = "membership_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        tenant_fk(["customer_id"], "customers"),
        Index("ix_membership_accounts_tenant_id_tier", "tenant_id", "tier"),
        Index("ix_membership_accounts_tenant_id_override_tier", "tenant_id", "override_tier"),
    )

    customer_id: Mapped[uuid.UUID]
    balance: Mapped[int] = mapped_column(default=0)
    pending: Mapped[int] = mapped_column(default=0)
    tier: Mapped[str] = mapped_column(String(32))
    tier_since: Mapped[dt.datetime]
    enrolled_at: Mapped[dt.datetime]
    next_review_on: Mapped[dt.date]
    override_tier: Mapped[str | None] = mapped_column(String(32), default=None)
    override_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    override_reason: Mapped[str | None] = mapped_column(String(200), default=None)


class LedgerEntry(TenantModel):
    """An append-only change of points, with its reason, source, store and actor."""

    __tablename__ = "membership_ledger"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        tenant_fk(["account_id"], "membership_accounts"),
        Index("ix_membership_ledger_tenant_id_account_id_id", "tenant_id", "account_id", "id"),
        Index("ix_membership_ledger_tenant_id_order_id", "tenant_id", "order_id"),
        Index("ix_membership_ledger_tenant_id_occurred_at", "tenant_id", "occurred_at"),
    )

    account_id: Mapped[uuid.UUID]
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "membership_entry_kind"))
    points: Mapped[int]
    spend: Mapped[int] = mapped_column(default=0)
    """Qualifying spend in fen this entry adds (earn) or removes (reverse) for tiers."""
    reason: Mapped[str] = mapped_column(String(200), default="")
    event_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    store_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[dt.datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class PointLot(TenantModel):
    """Points issued together: where, spendable from when, expiring when, how many left."""

    __tablename__ = "membership_lots"
    __table_args__ = (
        tenant_fk(["account_id"], "membership_accounts"),
        tenant_fk(["entry_id"], "membership_ledger"),
        Index("ix_membership_lots_tenant_id_account_id", "tenant_id", "account_id"),
        Index("ix_membership_lots_tenant_id_expires_at", "tenant_id", "expires_at"),
    )

    account_id: Mapped[uuid.UUID]
    entry_id: Mapped[uuid.UUID]
    kind: Mapped[LotKind] = mapped_column(_enum(LotKind, "membership_lot_kind"))
    store_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    points: Mapped[int]
    remaining: Mapped[int]
    earned_at: Mapped[dt.datetime]
    available_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    is_pending: Mapped[bool] = mapped_column(default=False)
    expiring_notified: Mapped[bool] = mapped_column(default=False)


class LotMovement(TenantModel):
    """A signed change of one lot's remainder caused by one entry (the settlement record)."""

    __tablename__ = "membership_lot_movements"
    __table_args__ = (
        tenant_fk(["lot_id"], "membership_lots"),
        tenant_fk(["entry_id"], "membership_ledger"),
        Index("ix_membership_lot_movements_tenant_id_at", "tenant_id", "at"),
    )

    lot_id: Mapped[uuid.UUID]
    entry_id: Mapped[uuid.UUID]
    kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind, "membership_movement_kind"))
    points: Mapped[int]
    lot_store_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """Where the lot's points were issued: who owes the liability."""
    entry_store_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """Where they were spent (or taken back): who is owed, for a cross-store redemption."""
    at: Mapped[dt.datetime]


class IdempotentRequest(TenantModel):
    """The first answer to a mutating call, replayed when its ``Idempotency-Key`` returns."""

    __tablename__ = "membership_idempotency"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(default=0)
    body: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[dt.datetime]


MODELS: tuple[type[TenantModel], ...] = (
    MemberAccount,
    LedgerEntry,
    PointLot,
    LotMovement,
    IdempotentRequest,
)
TABLES = tuple(str(m.__tablename__) for m in MODELS)
