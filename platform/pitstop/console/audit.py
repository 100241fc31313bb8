"""HQ's audit log at the console: the API's filters, newest first, page by page, details
masked as there.

The rows come from ``access.controllers.entries_statement`` (the filters of
``GET /api/v1/audit``, including ``actor``) and leave through ``access.schemas.audit_out``,
so every string of a detail (a reason staff typed) is masked for a reader who sees that
class masked. Paging is keyset on the entry id, newest first (``?before=<id>``): an entry
written while someone reads never shifts a page, and the query stays an index range however
deep the log. The actor filter offers the tenant's staff (their names masked as the staff
page masks them) and API keys; the actor column names them the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.controllers import entries_statement
from pitstop.access.models import AuditEntry
from pitstop.access.schemas import audit_out
from pitstop.console.view import Desk, shown
from pitstop.errors import Unprocessable
from pitstop.identity.models import ApiKey, Membership, User
from pitstop.identity.schemas import staff_out

PAGE_SIZE = 100


def _id(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Unprocessable.field(field, "is not a valid id") from None


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
        actor: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> Template:
        """A page of the entries matching the filters (blank ones ignored), with a link to
        the older ones; a bad date or id is named beside its field."""
        filters: dict[str, Any] = {
            "action": (action or "").strip() or None,
            "resource": (resource or "").strip() or None,
            "since": (since or "").strip() or None,
            "actor": (actor or "").strip() or None,
        }
        actors = await _actors(session)
        try:
            who, cursor = _id(filters["actor"], "actor"), _id(before, "before")
            statement = entries_statement(**(filters | {"actor": who}))
        except Unprocessable as exc:
            errors = {e.get("field", "since"): e.get("message", "") for e in exc.errors}
            return desk.page("audit.html", 422, entries=[], filters=filters, errors=errors,
                             actors=actors, older=None)  # fmt: skip
        if cursor is not None:
            statement = statement.where(AuditEntry.id < cursor)
        rows = (
            await session.scalars(statement.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1))
        ).all()
        older = str(rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None
        entries = [shown(audit_out(row)) for row in rows[:PAGE_SIZE]]
        return desk.page("audit.html", entries=entries, filters=filters, errors={},
                         actors=actors, older=older)  # fmt: skip


async def _actors(session: AsyncSession) -> dict[str, str]:
    """Actor id → how the page names them: a person as the staff page shows them (masked
    for a reader who sees names masked), a key by its name."""
    people = (
        await session.execute(
            select(Membership, User).join(User, User.id == Membership.user_id).order_by(User.id)
        )
    ).all()
    names = {str(m.id): str(shown(staff_out(m, u))["name"]) for m, u in people}
    keys = (await session.scalars(select(ApiKey).order_by(ApiKey.name))).all()
    return names | {str(k.id): f"{k.name} ({k.prefix})" for k in keys}
