"""Tables of the retention plugin: each vehicle's due projection, the reminders sent for
it, each customer's retention state, the complaints it learnt of, the worklist of calls,
the follow-up steps of each service and their surveys.

Instants come from ``ctx.now()`` (the injected clock). Unique keys carry the idempotency:
one reminder per (vehicle, due cycle, stage), one task per ``dedupe_key``, one survey
and one row per follow-up step per service order.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import JSONDoc, TenantModel, tenant_fk


class VehicleDue(TenantModel):
    """A vehicle's next maintenance, as the last recompute projected it."""

    __tablename__ = "retention_due"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vehicle_id"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        Index("ix_retention_due_tenant_id_due_date", "tenant_id", "due_date"),
    )

    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The store of the last service (None: never serviced here)."""
    cycle: Mapped[str] = mapped_column(String(64))
    """What the cycle runs from: ``order:<id>`` of the last service, or ``since:<day>``."""
    last_service_on: Mapped[dt.date] = mapped_column(Date)
    last_service_km: Mapped[int | None] = mapped_column(Integer, default=None)
    km_per_day: Mapped[float] = mapped_column(Float)
    pace_source: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[dt.date] = mapped_column(Date)
    due_km: Mapped[int | None] = mapped_column(Integer, default=None)
    projected_km: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(String(16))
    cycle_days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime]


class Reminder(TenantModel):
    """One reminder stage of one due cycle: sent once, or skipped as long past."""

    __tablename__ = "retention_reminders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vehicle_id", "cycle", "stage"),
        tenant_fk(["vehicle_id"], "vehicles"),
        tenant_fk(["customer_id"], "customers"),
        Index("ix_retention_reminders_tenant_id_sent_at", "tenant_id", "sent_at"),
    )

    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    cycle: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    """``before``, ``on_due`` or ``overdue_<days>``."""
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    """``sent``, or ``skipped_late`` (its day more than ``reminder_grace_days`` ago: never
    sent, not counted; ``sent_at`` is then when it was skipped)."""
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    sent_at: Mapped[dt.datetime]
    converted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    converted_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)


class CustomerState(TenantModel):
    """A customer's retention state as of the last nightly run."""

    __tablename__ = "retention_customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        tenant_fk(["customer_id"], "customers"),
        Index("ix_retention_customers_tenant_id_state", "tenant_id", "state"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(16))
    risk_reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    last_visit_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    state_since: Mapped[dt.datetime]
    computed_at: Mapped[dt.datetime]


class Complaint(TenantModel):
    """A complaint learnt of from ``complaint.created`` / ``complaint.resolved``."""

    __tablename__ = "retention_complaints"
    __table_args__ = (UniqueConstraint("tenant_id", "complaint_id"),)

    complaint_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Task(TenantModel):
    """A call on the worklist: a recall, a follow-up call or a callback."""

    __tablename__ = "retention_tasks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
        Index("ix_retention_tasks_tenant_id_store_id_status", "tenant_id", "store_id", "status"),
        Index("ix_retention_tasks_tenant_id_customer_id", "tenant_id", "customer_id"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    dedupe_key: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    survey_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    reward_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    due_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime]
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    won_back_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    """A recall's customer visited within the conversion window after it was opened."""
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Survey(TenantModel):
    """The follow-up survey of one completed service order."""

    __tablename__ = "retention_surveys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        tenant_fk(["customer_id"], "customers"),
        tenant_fk(["store_id"], "stores"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    csi: Mapped[int | None] = mapped_column(Integer, default=None)
    nps: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    low: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class FollowUp(TenantModel):
    """One step of a service's follow-up schedule, done once."""

    __tablename__ = "retention_follow_ups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id", "day"),
        tenant_fk(["customer_id"], "customers"),
        Index("ix_retention_follow_ups_tenant_id_due_at", "tenant_id", "due_at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[dt.datetime]
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Visit(TenantModel):
    """A completed service as retention saw it: on time against the due it answered?"""

    __tablename__ = "retention_visits"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        tenant_fk(["customer_id"], "customers"),
        Index("ix_retention_visits_tenant_id_at", "tenant_id", "at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    at: Mapped[dt.datetime]
    on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    """Within 30 days or 1,000 km of the due it answered; None when nothing was due yet."""


class StoreInterval(TenantModel):
    """A store's own service interval, in place of the tenant's ``service_interval`` for the
    cars last serviced there (a make's interval still comes first)."""

    __tablename__ = "retention_store_intervals"
    __table_args__ = (UniqueConstraint("tenant_id", "store_id"), tenant_fk(["store_id"], "stores"))

    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    km: Mapped[int] = mapped_column(Integer)
    months: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime]


class StateChange(TenantModel):
    """One change of a customer's retention state: from what, to what, why and when."""

    __tablename__ = "retention_state_changes"
    __table_args__ = (
        tenant_fk(["customer_id"], "customers"),
        Index("ix_retention_state_changes_tenant_id_customer_id", "tenant_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    from_state: Mapped[str | None] = mapped_column(String(16), default=None)
    """None for the customer's first assessment."""
    state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    """The risk reasons (at_risk), ``no_visit`` (dormant, lost), ``visit`` (a visit made
    them active) or ``no_risk`` (active at night)."""
    at: Mapped[dt.datetime]
