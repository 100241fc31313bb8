"""HQ's audit log at the console: the API's filters, newest first, details masked as there.

The rows come from ``access.controllers.entries_statement`` (the filters of
``GET /api/v1/audit``) and leave through ``access.schemas.audit_out``, so every string of a
detail (a reason staff typed) is masked for a reader who sees that class masked.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.controllers import entries_statement
from pitstop.access.models import AuditEntry
from pitstop.access.schemas import audit_out
from pitstop.console.view import Desk, shown
from pitstop.errors import Unprocessable

PAGE_SIZE = 100


class AuditPages(Controller):
    path = "/hq/audit"

    @get("/", opt={"permission": "audit:read"})
    async def audit(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        action: FromQuery[str | None] = None,
        resource: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
    ) -> Template:
        """The latest entries matching the filters (blank ones ignored); a bad date is
        named beside its field."""
        filters: dict[str, Any] = {
            "action": (action or "").strip() or None,
            "resource": (resource or "").strip() or None,
            "since": (since or "").strip() or None,
        }
        try:
            statement = entries_statement(**filters)
        except Unprocessable as exc:
            errors = {e.get("field", "since"): e.get("message", "") for e in exc.errors}
            return desk.page("audit.html", 422, entries=[], filters=filters, errors=errors)
        rows = (
            await session.scalars(statement.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE))
        ).all()
        entries = [shown(audit_out(row)) for row in rows]
        return desk.page("audit.html", entries=entries, filters=filters, errors={})
