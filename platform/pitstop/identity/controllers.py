"""HTTP API of identity: logging in, staff, roles and API keys."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.masking import Sensitive
from pitstop.errors import Conflict, NotFound, Unauthorized, Unprocessable
from pitstop.identity import staff as staff_service
from pitstop.identity.authenticate import hash_api_secret
from pitstop.identity.login import issue_login_token
from pitstop.identity.models import InviteToken, Membership, User
from pitstop.identity.passwords import hash_password
from pitstop.identity.principal import Principal
from pitstop.identity.schemas import (
    InviteOut,
    SetPasswordRequest,
    StaffCreate,
    StaffOut,
    StaffPatch,
    TokenRequest,
    TokenResponse,
)
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.runtime import Runtime
from pitstop.tenancy.context import tenant_scope
from pitstop.tenancy.models import Store, Tenant

INVITE_TTL = dt.timedelta(days=3)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", exclude_from_auth=True, status_code=200)
    async def token(
        self,
        data: JSONBody[TokenRequest],
        runtime: NamedDependency[Runtime],
        request: Request[Any, Any, Any],
    ) -> TokenResponse:
        address = request.client.host if request.client else "unknown"
        token, ttl = await issue_login_token(
            runtime,
            tenant_slug=data.tenant,
            email=data.email,
            password=data.password,
            address=address,
        )
        return TokenResponse(access_token=token, expires_in=ttl)

    @post("/set-password", exclude_from_auth=True, status_code=204)
    async def set_password(
        self, data: JSONBody[SetPasswordRequest], runtime: NamedDependency[Runtime]
    ) -> None:
        """Redeem a one-time invite token; the same 401 for every bad token."""
        digest = hash_api_secret(data.token, runtime.settings.secret_key)
        now = runtime.clock()
        async with runtime.sessions() as session, session.begin():
            tenant = (
                await session.scalars(select(Tenant).where(Tenant.slug == data.tenant))
            ).first()
            if tenant is None:
                raise Unauthorized("the token is invalid or expired", code="invalid_token")
            with tenant_scope(tenant.id):
                invite = (
                    await session.scalars(
                        select(InviteToken).where(InviteToken.token_hash == digest)
                    )
                ).one_or_none()
                if invite is None or invite.used_at is not None or invite.expires_at <= now:
                    raise Unauthorized("the token is invalid or expired", code="invalid_token")
                membership = await session.get(Membership, (tenant.id, invite.membership_id))
                assert membership is not None
                user = await session.get(User, membership.user_id)
                assert user is not None
                user.password_hash = hash_password(data.password)
                invite.used_at = now
                await session.flush()


def staff_out(membership: Membership, user: User) -> StaffOut:
    return StaffOut(
        id=membership.id,
        email=Sensitive(user.email, "email"),
        name=Sensitive(user.name, "name"),
        role=membership.role,
        stores=None
        if membership.store_ids is None
        else [uuid.UUID(s) for s in membership.store_ids],
        active=membership.active,
        has_password=user.password_hash is not None,
    )


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
        existing = await staff_service.find_user(session, data.email)
        if existing is not None:
            member = (
                await session.scalars(select(Membership).where(Membership.user_id == existing.id))
            ).one_or_none()
            if member is not None:
                raise Conflict(
                    "this person already works here", code="duplicate_staff", id=str(member.id)
                )
        membership, _ = await staff_service.upsert_member(
            session, email=data.email, name=data.name, role=data.role, store_ids=data.stores
        )
        await session.flush()
        await record(
            session,
            "staff.changed",
            resource="staff",
            resource_id=membership.id,
            detail={"change": "hired", "role": data.role},
        )
        user = await session.get(User, membership.user_id)
        assert user is not None
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
            membership.active = data.active
        if changes:
            await record(
                session,
                "staff.changed",
                resource="staff",
                resource_id=membership.id,
                detail=changes,
            )
        user = await session.get(User, membership.user_id)
        assert user is not None
        return staff_out(membership, user)

    @post("/{staff_id:uuid}/invite", status_code=201)
    async def invite(
        self,
        staff_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        runtime: NamedDependency[Runtime],
    ) -> InviteOut:
        """A one-time set-password token, shown once; only its hash is stored."""
        membership = (
            await session.scalars(select(Membership).where(Membership.id == staff_id))
        ).one_or_none()
        if membership is None:
            raise NotFound("no such staff member")
        token = secrets.token_urlsafe(32)
        expires_at = runtime.clock() + INVITE_TTL
        session.add(
            InviteToken(
                membership_id=membership.id,
                token_hash=hash_api_secret(token, runtime.settings.secret_key),
                expires_at=expires_at,
            )
        )
        await record(
            session,
            "staff.changed",
            resource="staff",
            resource_id=membership.id,
            detail={"change": "invited"},
        )
        return InviteOut(token=token, expires_at=expires_at)
