"""The audit log's table: access owns who-did-what, so it needs nothing above the kernel.

It lived with identity's tables once; then ``access.audit`` imported identity while
identity imported access. The actor is an id and a kind, never a foreign key into
identity, so the table sits as low as the code that writes it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import JSONDoc, TenantModel, utcnow


class AuditEntry(TenantModel):
    """Append-only: the app role may INSERT and SELECT, never UPDATE or DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_action_at", "tenant_id", "action", "at"),)

    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    actor_kind: Mapped[str] = mapped_column(String(16), default="user")
    action: Mapped[str] = mapped_column(String(63))
    resource: Mapped[str] = mapped_column(String(63), default="")
    resource_id: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
