"""Tables of vouchers: the templates marketing designs, the vouchers customers hold, and
the reward requests fulfilled (one row per ``reward_id``, the contract's idempotency key).

A voucher's life: ``issued`` -> ``applied`` (held by one open service order) ->
``redeemed`` (the order completed; the honouring store is recorded) or back to ``issued``
(the order was refunded while the voucher was still valid). ``expired`` and ``void`` end
it. Every change of status is one conditional UPDATE on the row, which is what makes a
voucher redeemable once however many front desks try at the same instant.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import Enum, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import JSONDoc, TenantModel, Timestamps, tenant_fk


class TemplateKind(enum.StrEnum):
    amount = "amount"
    """A fixed sum off (fen)."""
    percent = "percent"
    """A share off the eligible lines, capped by ``max_discount`` when set."""
    item = "item"
    """One item free (a wash, an oil change) up to ``max_discount``."""


class VoucherStatus(enum.StrEnum):
    issued = "issued"
    applied = "applied"
    """On an open service order, waiting for it to complete."""
    redeemed = "redeemed"
    expired = "expired"
    void = "void"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, validate_strings=True, length=16)


class VoucherTemplate(Timestamps, TenantModel):
    """What a voucher is worth, where and for how long; its budget caps how many exist."""

    __tablename__ = "membership_voucher_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TemplateKind] = mapped_column(_enum(TemplateKind, "membership_voucher_kind"))
    amount: Mapped[int | None] = mapped_column(default=None)
    percent: Mapped[int | None] = mapped_column(default=None)
    max_discount: Mapped[int | None] = mapped_column(default=None)
    item_category: Mapped[str | None] = mapped_column(String(32), default=None)
    min_spend: Mapped[int] = mapped_column(default=0)
    categories: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    """Order line categories it applies to; empty: all."""
    valid_days: Mapped[int | None] = mapped_column(default=None)
    valid_until: Mapped[dt.date | None] = mapped_column(default=None)
    """Last day (programme time zone) a voucher of this template can be used."""
    stores: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    """Store ids it can be redeemed at; empty: every store of the tenant."""
    budget: Mapped[int | None] = mapped_column(default=None)
    issued: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Voucher(Timestamps, TenantModel):
    """One customer's voucher; ``code`` is a bearer secret (never logged, never in events)."""

    __tablename__ = "membership_vouchers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk(["template_id"], "membership_voucher_templates"),
        tenant_fk(["customer_id"], "customers"),
        Index("ix_membership_vouchers_tenant_id_customer_id", "tenant_id", "customer_id"),
        Index(
            "ix_membership_vouchers_tenant_id_status_valid_until",
            "tenant_id",
            "status",
            "valid_until",
        ),
        Index("ix_membership_vouchers_tenant_id_order_id", "tenant_id", "order_id"),
    )

    template_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(String(16))
    status: Mapped[VoucherStatus] = mapped_column(
        _enum(VoucherStatus, "membership_voucher_status"), default=VoucherStatus.issued
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    """The first instant it is no longer valid."""
    issued_store_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reward_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """The service order holding (``applied``) or having redeemed it."""
    discount: Mapped[int] = mapped_column(default=0)
    """Fen taken off that order."""
    redeemed_store_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    voided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    void_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    expiring_notified: Mapped[bool] = mapped_column(default=False)


class RewardFulfilment(TenantModel):
    """How one ``reward.requested`` was answered; its unique ``reward_id`` is the claim
    that makes fulfilment exactly once (a second delivery finds it and does nothing)."""

    __tablename__ = "membership_rewards"
    __table_args__ = (UniqueConstraint("tenant_id", "reward_id"),)

    reward_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    """``granted``, ``rejected`` or ``revoked``."""
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    voucher_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    ledger_entry_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    source: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    at: Mapped[dt.datetime]


VOUCHER_MODELS: tuple[type[TenantModel], ...] = (VoucherTemplate, Voucher, RewardFulfilment)
VOUCHER_TABLES = tuple(str(m.__tablename__) for m in VOUCHER_MODELS)
