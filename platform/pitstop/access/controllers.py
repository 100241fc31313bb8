"""HTTP API of the audit log (read-only: nothing can change history).

Filters combine: ``?resource=store&resource_id=<id>`` is one store's history,
``?action=staff.password_changed`` every password change (docs/audit.md lists the actions).

Details hold ids and the reasons staff typed; the reasons are free text, so every string of
a detail is masked for a reader whose role sees that class of personal data masked.
"""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.models import AuditEntry
from pitstop.access.schemas import AuditOut, audit_out
from pitstop.errors import Unprocessable
from pitstop.inputs import checked_instant
from pitstop.pagination import Limit, Page, keyset, page_of


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Unprocessable.field("since", "use an ISO 8601 timestamp") from None
    checked_instant(parsed, "since")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def entries_statement(
    *,
    action: str | None = None,
    actor: uuid.UUID | None = None,
    resource: str | None = None,
    resource_id: str | None = None,
    since: str | None = None,
) -> Select[AuditEntry]:
    """The log's filters, for the API and the console's audit page alike."""
    statement = select(AuditEntry)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if actor:
        statement = statement.where(AuditEntry.actor_id == actor)
    if resource:
        statement = statement.where(AuditEntry.resource == resource)
    if resource_id:
        statement = statement.where(AuditEntry.resource_id == resource_id)
    start = _since(since)
    if start:
        statement = statement.where(AuditEntry.at >= start)
    return statement


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]
    opt = {"permission": "audit:read"}

    @get("/")
    async def list_entries(
        self,
        session: NamedDependency[AsyncSession],
        action: FromQuery[str | None] = None,
        actor: FromQuery[uuid.UUID | None] = None,
        resource: FromQuery[str | None] = None,
        resource_id: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[AuditOut]:
        statement = entries_statement(
            action=action, actor=actor, resource=resource, resource_id=resource_id, since=since
        )
        rows = (await session.scalars(keyset(statement, AuditEntry.id, after, limit))).all()
        return page_of(rows, limit, [audit_out(r) for r in rows], lambda r: r.id)
