"""The outbox and its per-plugin deliveries.

An event row is written in the same transaction as the change it describes, so a change
without its event (or an event without its change) cannot be committed. A delivery row per
(event, subscribed plugin) records whether that plugin's handler has had its effect; the
handler's own writes and the ``done`` mark share one transaction, which is what turns
at-least-once messages into exactly-once effects.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import Enum, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import JSONDoc, TenantModel, tenant_fk, utcnow


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    retrying = "retrying"
    failed = "failed"
    done = "done"


class OutboxEvent(TenantModel):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_published_at", "published_at", "occurred_at"),
        # A tenant's backlog, for the worker's claim (events/backlog.py): only unpublished
        # rows, so it stays as small as the backlog however many tenants there are.
        Index(
            "ix_outbox_events_unpublished",
            "tenant_id",
            "occurred_at",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    type: Mapped[str] = mapped_column(String(63))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    """Set when the relay has created this event's deliveries and enqueued them."""


class EventDelivery(TenantModel):
    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id", "plugin"),
        tenant_fk(["event_id"], "outbox_events", ondelete="CASCADE"),
        Index("ix_event_deliveries_status_updated_at", "status", "updated_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    plugin: Mapped[str] = mapped_column(String(63))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, name="delivery_status", native_enum=False, length=16),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
