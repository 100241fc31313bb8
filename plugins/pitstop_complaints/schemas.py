"""Request and response shapes of the complaints API (strict: unknown fields are 422s).

What staff type (description, resolution, notes) leaves as :class:`~pitstop.sdk.FreeText`:
a customer's phone or ID number written into it is masked for a reader who sees it masked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from pitstop.sdk import FreeText, free_text

from .clocks import sla_view
from .models import Complaint, ComplaintActivity, ComplaintNotification

Channel = Literal["phone", "walk_in", "app", "web", "social", "survey"]
Category = Literal[
    "service_quality", "price", "attitude", "waiting_time", "parts", "billing", "other"
]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Note = Annotated[str, msgspec.Meta(max_length=4000)]


class ComplaintCreate(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    store_id: uuid.UUID
    severity: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    category: Category
    channel: Channel
    description: Text
    vehicle_id: uuid.UUID | None = None
    service_order_id: uuid.UUID | None = None


class NoteBody(msgspec.Struct, forbid_unknown_fields=True):
    note: Note | None = None


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["investigating", "awaiting_customer"]
    note: Note | None = None


class Assign(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: uuid.UUID
    note: Note | None = None


class Resolve(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Text
    first_contact: bool = False


class Survey(msgspec.Struct, forbid_unknown_fields=True):
    satisfaction: Annotated[int, msgspec.Meta(ge=1, le=5)]
    resolved: bool
    note: Note | None = None


class ClockOut(msgspec.Struct):
    target: str
    due_at: dt.datetime
    warn_at: dt.datetime
    met_at: dt.datetime | None
    warned_at: dt.datetime | None
    breached_at: dt.datetime | None


class SlaOut(msgspec.Struct):
    calendar: str
    paused: bool
    paused_seconds: int
    first_response: ClockOut
    resolution: ClockOut


class ComplaintOut(msgspec.Struct):
    id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID
    vehicle_id: uuid.UUID | None
    service_order_id: uuid.UUID | None
    channel: str
    category: str
    severity: str
    description: FreeText
    status: str
    assignee_id: uuid.UUID | None
    tier: str | None
    escalation_level: int
    reopen_count: int
    sla: SlaOut
    resolution: FreeText | None
    first_contact: bool | None
    satisfaction: int | None
    survey_resolved: bool | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None


class ActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    from_status: str | None
    to_status: str | None
    from_assignee_id: uuid.UUID | None
    to_assignee_id: uuid.UUID | None
    note: FreeText | None
    actor_id: uuid.UUID | None
    at: dt.datetime


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    complaint_id: uuid.UUID
    recipient_id: uuid.UUID
    reason: str
    critical: bool
    created_at: dt.datetime
    deliver_at: dt.datetime
    read_at: dt.datetime | None


def _clock(complaint: Complaint, clock: str, target: str) -> ClockOut:
    view: dict[str, Any] = sla_view(complaint, clock)
    return ClockOut(target=target, **view)


def complaint_out(c: Complaint) -> ComplaintOut:
    sla = SlaOut(
        calendar=c.calendar,
        paused=c.paused_at is not None,
        paused_seconds=c.paused_seconds,
        first_response=_clock(c, "response", c.first_response_target),
        resolution=_clock(c, "resolution", c.resolution_target),
    )
    return ComplaintOut(
        id=c.id,
        customer_id=c.customer_id,
        store_id=c.store_id,
        vehicle_id=c.vehicle_id,
        service_order_id=c.service_order_id,
        channel=c.channel,
        category=c.category,
        severity=c.severity,
        description=FreeText(c.description),
        status=c.status,
        assignee_id=c.assignee_id,
        tier=c.tier,
        escalation_level=c.escalation_level,
        reopen_count=c.reopen_count,
        sla=sla,
        resolution=free_text(c.resolution),
        first_contact=c.first_contact,
        satisfaction=c.satisfaction,
        survey_resolved=c.survey_resolved,
        created_at=c.created_at,
        updated_at=c.updated_at,
        closed_at=c.closed_at,
    )


def activity_out(a: ComplaintActivity) -> ActivityOut:
    return ActivityOut(
        a.id,
        a.kind,
        a.from_status,
        a.to_status,
        a.from_assignee_id,
        a.to_assignee_id,
        free_text(a.note),
        a.actor_id,
        a.at,
    )


def notification_out(n: ComplaintNotification) -> NotificationOut:
    return NotificationOut(
        n.id,
        n.complaint_id,
        n.recipient_id,
        n.reason,
        n.critical,
        n.created_at,
        n.deliver_at,
        n.read_at,
    )
