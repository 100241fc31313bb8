"""HTTP API of staff: hire, change role, store scope and active state, invite.

Hiring and changing go through ``identity.staff``, the same functions tenant manifests
use, so the API can never do what a manifest would refuse (and vice versa).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.permissions import STORES_REQUIRED
from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.identity import staff as staff_service
from pitstop.identity.invites import InviteRefused, issue_invite
from pitstop.identity.models import Membership, User
from pitstop.identity.notices import StaffNotices
from pitstop.identity.schemas import InviteOut, StaffCreate, StaffOut, StaffPatch, staff_out
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.settings import Settings
from pitstop.tenancy.models import Store, Tenant


async def _check_role_and_stores(
    session: AsyncSession, role: str | None, stores: list[uuid.UUID] | None
) -> None:
    if role is not None and role not in await staff_service.role_names(session):
        raise Unprocessable.field("role", "no such role in this tenant")
    if stores:
        known = set((await session.scalars(select(Store.id).where(Store.id.in_(stores)))).all())
        for i, store_id in enumerate(stores):
            if store_id not in known:
                raise Unprocessable.field(f"stores[{i}]", "no such store")


async def _require_stores_for_scope(
    session: AsyncSession, role: str, stores: list[uuid.UUID] | list[str] | None
) -> None:
    """A store-scoped role without a store would see nothing, or (before) everything."""
    if not stores and await staff_service.is_store_scoped(session, role):
        raise Unprocessable.field("stores", STORES_REQUIRED)


class StaffController(Controller):
    path = "/staff"
    tags = ["staff"]
    opt = {"permission": "staff:manage"}

    @get("/")
    async def list_staff(
        self,
        session: NamedDependency[AsyncSession],
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
        return page_of(rows, limit, [staff_out(m, u) for m, u in rows], lambda r: r[0].id)

    @post("/", status_code=201)
    async def hire(
        self, data: JSONBody[StaffCreate], session: NamedDependency[AsyncSession]
    ) -> StaffOut:
        await _check_role_and_stores(session, data.role, data.stores)
        await _require_stores_for_scope(session, data.role, data.stores)
        existing = await staff_service.find_user(session, data.email)
        if existing is not None:
            member = (
                await session.scalars(select(Membership).where(Membership.user_id == existing.id))
            ).one_or_none()
            if member is not None:
                raise Conflict(
                    "this person already works here", code="duplicate_staff", id=str(member.id)
                )
        try:
            membership, _ = await staff_service.upsert_member(
                session, email=data.email, name=data.name, role=data.role, store_ids=data.stores
            )
        except staff_service.HireRefused:
            raise Unprocessable.field("email", "this address cannot be hired") from None
        await session.flush()
        await record(
            session,
            "staff.changed",
            resource="staff",
            resource_id=membership.id,
            detail={"change": "hired", "role": data.role, "pending": membership.pending},
        )
        user = await staff_service.person_of(session, membership)
        return staff_out(membership, user)

    @patch("/{staff_id:uuid}")
    async def change(
        self,
        staff_id: FromPath[uuid.UUID],
        data: JSONBody[StaffPatch],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> StaffOut:
        membership = (
            await session.scalars(select(Membership).where(Membership.id == staff_id))
        ).one_or_none()
        if membership is None:
            raise NotFound("no such staff member")
        stores = data.stores if isinstance(data.stores, list) else None
        await _check_role_and_stores(session, data.role, stores)
        if data.role is not None or data.stores is not msgspec.UNSET:
            after = membership.store_ids if data.stores is msgspec.UNSET else stores
            await _require_stores_for_scope(session, data.role or membership.role, after)
        if membership.id == principal.actor_id and data.active is False:
            raise Unprocessable.field("active", "you cannot deactivate yourself")
        changes: dict[str, Any] = {}
        if data.role is not None and data.role != membership.role:
            changes["role"] = [membership.role, data.role]
            membership.role = data.role
        if data.stores is not msgspec.UNSET:
            scope = None if stores is None else sorted(str(s) for s in stores)
            if scope != membership.store_ids:
                changes["stores"] = "changed"
                membership.store_ids = scope
        if data.active is not None and data.active != membership.active:
            changes["active"] = data.active
            membership.set_active(data.active)
        if changes:
            await record(
                session,
                "staff.changed",
                resource="staff",
                resource_id=membership.id,
                detail={"change": "updated", **changes},
            )
        user = await staff_service.person_of(session, membership)
        return staff_out(membership, user)

    @post("/{staff_id:uuid}/invite", status_code=201)
    async def invite(
        self,
        staff_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        staff_notices: NamedDependency[StaffNotices],
    ) -> InviteOut:
        """A one-time token for a first password (or a reset), or to accept (``purpose``):
        sent to the person through the tenant's staff channel when it has one (``token``
        null, ``sent_by`` the channel), else shown once here."""
        membership = (
            await session.scalars(select(Membership).where(Membership.id == staff_id))
        ).one_or_none()
        if membership is None:
            raise NotFound("no such staff member")
        user = await staff_service.person_of(session, membership)
        try:
            token, expires_at, purpose = await issue_invite(
                session,
                membership,
                user,
                secret=settings.secret_key,
                now=clock(),
                ttl=dt.timedelta(seconds=settings.invite_ttl_seconds),
            )
        except InviteRefused as refused:
            raise Conflict(refused.message, code=refused.code) from None
        await record(
            session,
            "staff.changed",
            resource="staff",
            resource_id=membership.id,
            detail={"change": "invited", "purpose": purpose},
        )
        tenant = await session.get(Tenant, membership.tenant_id)
        data = {"tenant_name": tenant.name if tenant else "", "token": token}
        sent_by = await staff_notices.send_staff_secret(
            session, membership.id, "staff_invite", data
        )
        if sent_by is not None:
            return InviteOut(token=None, expires_at=expires_at, purpose=purpose, sent_by=sent_by)
        return InviteOut(token=token, expires_at=expires_at, purpose=purpose)
