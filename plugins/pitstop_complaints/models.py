"""Tables of the complaints plugin: the complaint with its two SLA clocks, its history,
per-recipient notifications and the round-robin cursors.

Each clock keeps its deadline (``*_due_at``), the instant of its 80% warning
(``*_warn_at``) and what happened: ``*_warned_at``, ``*_breached_at``, ``*_met_at``. A
"fired" column that is set is the proof that its warning or breach was handled, which is
what lets duplicate and late timer messages do nothing. ``revision`` is bumped by every
change under a compare-and-set, so two workers can never both act on the same row state.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import TenantModel, tenant_fk, utcnow


class Complaint(TenantModel):
    __tablename__ = "complaints"
    __table_args__ = (
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["service_order_id"], "service_orders"),
        tenant_fk(["assignee_id"], "memberships"),
        Index("ix_complaints_tenant_id_store_id_status", "tenant_id", "store_id", "status"),
        Index("ix_complaints_tenant_id_customer_id", "tenant_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    service_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default="new")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    top_tier: Mapped[bool] = mapped_column(Boolean, default=False)
    # The policy as it was when the complaint was logged: running clocks keep it.
    calendar: Mapped[str] = mapped_column(String(8))
    first_response_target: Mapped[str] = mapped_column(String(16))
    resolution_target: Mapped[str] = mapped_column(String(16))
    # First-response clock
    response_due_at: Mapped[dt.datetime]
    response_warn_at: Mapped[dt.datetime]
    response_warned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    response_breached_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    response_met_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Resolution clock (restarted by a reopen)
    resolution_started_at: Mapped[dt.datetime]
    resolution_due_at: Mapped[dt.datetime]
    resolution_warn_at: Mapped[dt.datetime]
    resolution_warned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolution_breached_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolution_met_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Pause (awaiting the customer) and the open time spent paused, in seconds
    paused_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # Escalation: the level reached (0 = none) and when the next level is due
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    escalation_next_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Outcome and follow-up
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    first_contact: Mapped[bool | None] = mapped_column(Boolean, default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[int | None] = mapped_column(Integer, default=None)
    survey_resolved: Mapped[bool | None] = mapped_column(Boolean, default=None)
    surveyed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    erased_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ComplaintActivity(TenantModel):
    """The complaint's history: transitions, reassignments, notes and customer replies."""

    __tablename__ = "complaint_activities"
    __table_args__ = (
        tenant_fk(["complaint_id"], "complaints"),
        Index("ix_complaint_activities_tenant_id_complaint_id", "tenant_id", "complaint_id"),
    )

    complaint_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(16))
    """``transition``, ``assignment``, ``note``, ``reply``, ``survey``, ``sla``."""
    from_status: Mapped[str | None] = mapped_column(String(24), default=None)
    to_status: Mapped[str | None] = mapped_column(String(24), default=None)
    from_assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    to_assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    at: Mapped[dt.datetime]


class ComplaintNotification(TenantModel):
    """One message to one staff member; unique per (complaint, recipient, reason)."""

    __tablename__ = "complaint_notifications"
    __table_args__ = (
        tenant_fk(["complaint_id"], "complaints"),
        tenant_fk(["recipient_id"], "memberships"),
        UniqueConstraint(
            "tenant_id",
            "complaint_id",
            "recipient_id",
            "reason",
            name="uq_complaint_notifications_once",
        ),
        Index("ix_complaint_notifications_tenant_id_recipient_id", "tenant_id", "recipient_id"),
    )

    complaint_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(String(48))
    """``assigned``, ``response.warning``, ``resolution.breached``, ``escalated.2``, ..."""
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    deliver_at: Mapped[dt.datetime]
    """Non-critical notifications wait for the store's business hours."""
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class RoutingCursor(TenantModel):
    """Round robin per (store, role): who got the last complaint."""

    __tablename__ = "complaint_routing_cursors"
    __table_args__ = (
        tenant_fk(["store_id"], "stores"),
        UniqueConstraint("tenant_id", "store_id", "role"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    role: Mapped[str] = mapped_column(String(63))
    last_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)


class ComplaintRequest(TenantModel):
    """A ``complaint.requested`` answered: one per ``request_id``, whatever redelivers it."""

    __tablename__ = "complaint_requests"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """None when refused (the customer erased, the store gone, requests switched off)."""
    outcome: Mapped[str] = mapped_column(String(16))
    """``opened`` or ``refused``."""
    source: Mapped[str] = mapped_column(String(120))
    """``plugin/type/id`` of the requester (ids only)."""
    requested_at: Mapped[dt.datetime]
