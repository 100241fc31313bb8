"""Consent (current state and history), templates and the contact log.

Consent is kept twice on purpose: ``customer_consents`` holds the one current answer per
(customer, purpose, channel) that the rules read, ``consent_changes`` every change with its
source, time, notice version and actor, because PIPL asks a business to show when and how
consent was given or withdrawn. Messages hold ids and the template's variables, never a
rendered body: the body is rendered by the worker and handed to the channel at send time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import JSONDoc, TenantModel, Timestamps, tenant_fk, utcnow

PURPOSES = ("service", "marketing", "transactional")
"""Service communication (a reminder, a complaint update), promotion, and what the customer
asked for (a receipt, a code): the purpose decides consent, quiet hours and caps."""
CONSENT_PURPOSES = ("service", "marketing")
STATUSES = ("queued", "sent", "delivered", "failed", "suppressed", "unconfirmed")
"""``unconfirmed``: a worker died while the provider had the message and the provider
cannot be asked whether it went - staff reconcile it rather than risk texting twice."""


class CustomerConsent(Timestamps, TenantModel):
    __tablename__ = "customer_consents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "purpose", "channel"),
        tenant_fk(["customer_id"], "customers"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConsentChange(TenantModel):
    """One change of one consent, never updated: the history a regulator may ask for."""

    __tablename__ = "consent_changes"
    __table_args__ = (
        Index("ix_consent_changes_tenant_id_customer_id", "tenant_id", "customer_id"),
        tenant_fk(["customer_id"], "customers"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)


class MessageTemplate(Timestamps, TenantModel):
    """A tenant's own wording of a template for one channel (``*``: every channel)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name", "channel", "locale"),)

    name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32), default="*")
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")
    purpose: Mapped[str] = mapped_column(String(32))
    fields: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    body: Mapped[str] = mapped_column(Text)


class Message(TenantModel):
    """One contact attempt, sent or not: the contact log."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_messages_tenant_id_customer_id", "tenant_id", "customer_id"),
        Index("ix_messages_tenant_id_staff_id", "tenant_id", "staff_id"),
        Index("ix_messages_tenant_id_receipt_id", "tenant_id", "receipt_id"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
    )

    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The staff member notified (``notify_staff``), or who logged a manual contact."""
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    template: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(32), default="queued")
    reason: Mapped[str | None] = mapped_column(String(64), default=None)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    receipt_id: Mapped[str | None] = mapped_column(String(128), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    send_after: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def shown_status(self) -> str:
        """``suppressed:<reason>``, as the contract spells it."""
        return f"suppressed:{self.reason}" if self.status == "suppressed" else self.status


class MessageSend(TenantModel):
    """A claim on one try of one message, committed *before* the provider is called.

    ``outcome`` stays empty until the try's result is committed with the message. A
    redelivered message that finds an empty outcome knows a worker died mid-send: the
    provider may or may not have the message, so it is asked (where it can be) or the
    message is marked ``unconfirmed`` - never sent blindly a second time.
    """

    __tablename__ = "message_sends"
    __table_args__ = (
        UniqueConstraint("tenant_id", "message_id", "attempt"),
        tenant_fk(["message_id"], "messages"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    attempt: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    """``sent``, ``failed`` (for good or to be retried), ``absent`` (the provider's status
    query found no such send); empty: unknown."""
    checks: Mapped[int] = mapped_column(Integer, default=0)
    """How often the provider was asked about this try after a worker died mid-send: a
    provider that keeps saying "cannot tell yet" is asked a bounded number of times."""
