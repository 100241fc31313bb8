"""The plugin's one table: which WeCom external contact a customer is.

An ``external_userid`` identifies a person to WeCom, so it is personal data like a phone
number: it is read only to address a message (by the worker, for the channel), exported
with the customer's data and deleted when the customer is erased; no log line, event or
audit entry names it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import TenantModel, tenant_fk


class WecomContact(TenantModel):
    __tablename__ = "wecom_contacts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        tenant_fk(["customer_id"], "customers"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    external_userid: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[dt.datetime]
