"""Response shapes of the audit log API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from pitstop.access.masking import free_text_in
from pitstop.access.models import AuditEntry


class AuditOut(msgspec.Struct):
    id: uuid.UUID
    at: dt.datetime
    action: str
    actor_kind: str
    actor_id: uuid.UUID | None
    resource: str
    resource_id: str | None
    detail: dict[str, Any]
    request_id: str | None


def audit_out(entry: AuditEntry) -> AuditOut:
    """Every string of the detail masked as free text: reasons are what staff typed."""
    return AuditOut(
        entry.id,
        entry.at,
        entry.action,
        entry.actor_kind,
        entry.actor_id,
        entry.resource,
        entry.resource_id,
        free_text_in(entry.detail),
        entry.request_id,
    )
