"""Request and response shapes of the retention API (strict: unknown fields are 422s).

A customer's name and phone and a car's plate leave as ``Sensitive`` (masked per the
reader's role); a note or a survey comment is what people type, so it leaves as
``FreeText``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from pitstop.sdk import CustomerView, FreeText, Sensitive, free_text, sensitive

from .models import Task, VehicleDue

Note = Annotated[str, msgspec.Meta(max_length=2000)]
Outcome = Literal["reached", "no_answer", "wrong_number", "booked", "declined", "do_not_contact"]


class CustomerContactOut(msgspec.Struct):
    id: uuid.UUID
    name: Sensitive | None
    phone: Sensitive | None


def customer_out(customer_id: uuid.UUID, found: CustomerView | None) -> CustomerContactOut:
    if found is None or found.erased:
        return CustomerContactOut(customer_id, None, None)
    return CustomerContactOut(
        customer_id, sensitive(found.name, "name"), sensitive(found.phone, "phone")
    )


class DueVehicleOut(msgspec.Struct):
    vehicle_id: uuid.UUID
    customer: CustomerContactOut
    plate: Sensitive | None
    store_id: uuid.UUID | None
    state: str
    due_date: dt.date
    reason: str
    due_km: int | None
    projected_km: int | None
    km_per_day: float
    pace_source: str
    last_service_on: dt.date
    last_service_km: int | None


def due_out(
    row: VehicleDue, customer: CustomerContactOut, plate: str | None, state: str
) -> DueVehicleOut:
    return DueVehicleOut(
        row.vehicle_id,
        customer,
        sensitive(plate, "plate"),
        row.store_id,
        state,
        row.due_date,
        row.reason,
        row.due_km,
        row.projected_km,
        row.km_per_day,
        row.pace_source,
        row.last_service_on,
        row.last_service_km,
    )


class RetentionTaskOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    status: str
    customer: CustomerContactOut
    store_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    order_id: uuid.UUID | None
    survey_id: uuid.UUID | None
    reward_id: uuid.UUID | None
    due_at: dt.datetime
    next_attempt_at: dt.datetime | None
    attempts: int
    outcome: str | None
    note: FreeText | None
    created_at: dt.datetime
    closed_at: dt.datetime | None


def task_out(task: Task, customer: CustomerContactOut) -> RetentionTaskOut:
    return RetentionTaskOut(
        task.id,
        task.kind,
        task.status,
        customer,
        task.store_id,
        task.assignee_id,
        task.order_id,
        task.survey_id,
        task.reward_id,
        task.due_at,
        task.next_attempt_at,
        task.attempts,
        task.outcome,
        free_text(task.note),
        task.created_at,
        task.closed_at,
    )


class TaskOutcomeIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Outcome
    note: Note | None = None
    next_attempt_at: dt.datetime | None = None


class SurveyAnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    csi: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    nps: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None
    comment: Note | None = None


class FollowUpSurveyOut(msgspec.Struct):
    id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    store_id: uuid.UUID
    csi: int | None
    nps: int | None
    comment: FreeText | None
    low: bool
    answered_at: dt.datetime | None
    callback_task_id: uuid.UUID | None = None
