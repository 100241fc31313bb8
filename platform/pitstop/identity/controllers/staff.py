"""HTTP API of staff: hire, change role, store scope and active state, invite.

Every change goes through ``identity.staff_admin``, the service the console's staff forms
call too (same checks, same errors, same audit entry, same store scope); hiring itself is
``identity.staff.upsert_member``, which tenant manifests share, so the API can never do
what a manifest would refuse (and vice versa).
"""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.identity import staff_admin
from pitstop.identity.models import Membership, User
from pitstop.identity.notices import StaffNotices
from pitstop.identity.schemas import InviteOut, StaffCreate, StaffOut, StaffPatch, staff_out
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.settings import Settings


class StaffController(Controller):
    path = "/staff"
    tags = ["staff"]
    opt = {"permission": "staff:manage"}

    @get("/")
    async def list_staff(
        self,
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[StaffOut]:
        statement = keyset(
            select(Membership, User).join(User, User.id == Membership.user_id),
            Membership.id,
            after,
            limit,
        )
        rows = (await session.execute(statement)).all()
        shown = [staff_out(m, u) for m, u in staff_admin.managed(principal, rows[:limit])]
        return page_of(rows, limit, shown, lambda r: r[0].id)

    @post("/", status_code=201)
    async def hire(
        self,
        data: JSONBody[StaffCreate],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> StaffOut:
        membership = await staff_admin.hire(session, principal, data)
        return staff_out(membership, await staff_admin.person(session, membership))

    @patch("/{staff_id:uuid}")
    async def change(
        self,
        staff_id: FromPath[uuid.UUID],
        data: JSONBody[StaffPatch],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> StaffOut:
        membership = await staff_admin.member(session, principal, staff_id)
        await staff_admin.change(session, principal, membership, data)
        return staff_out(membership, await staff_admin.person(session, membership))

    @post("/{staff_id:uuid}/invite", status_code=201)
    async def invite(
        self,
        staff_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        staff_notices: NamedDependency[StaffNotices],
    ) -> InviteOut:
        """A one-time token for a first password (or a reset), or to accept (``purpose``):
        sent to the person through the tenant's staff channel when it has one (``token``
        null, ``sent_by`` the channel), else shown once here."""
        membership = await staff_admin.member(session, principal, staff_id)
        return await staff_admin.invite(
            session,
            membership,
            secret=settings.secret_key,
            now=clock(),
            ttl=dt.timedelta(seconds=settings.invite_ttl_seconds),
            notices=staff_notices,
        )
