"""HTTP API of identity: logging in, staff, roles and API keys."""

from __future__ import annotations

import datetime as dt
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
from pitstop.access.permissions import STORES_REQUIRED
from pitstop.errors import Conflict, NotFound, Unauthorized, Unprocessable
from pitstop.identity import staff as staff_service
from pitstop.identity.invites import InviteRefused, issue_invite, redeem_password
from pitstop.identity.login import (
    Credentials,
    accept_invite,
    change_password,
    issue_login_token,
)
from pitstop.identity.models import Membership, User
from pitstop.identity.principal import Principal
from pitstop.identity.refresh import IssuedSession, end_session, refresh_session
from pitstop.identity.schemas import (
    AcceptRequest,
    ChangePasswordRequest,
    InviteOut,
    RefreshRequest,
    SetPasswordRequest,
    StaffCreate,
    StaffOut,
    StaffPatch,
    TokenRequest,
    TokenResponse,
)
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Store


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer as the server reports it: uvicorn replaces it with ``X-Forwarded-For``
    only when the peer is one of ``PITSTOP_TRUSTED_PROXIES`` (see ``serve.py``)."""
    return request.client.host if request.client else "unknown"


def _credentials(
    data: TokenRequest | AcceptRequest | ChangePasswordRequest, request: Request[Any, Any, Any]
) -> Credentials:
    return Credentials(data.tenant, data.email, data.password, client_address(request))


def _tokens(issued: IssuedSession) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", status_code=200, opt={"public": True})
    async def token(
        self,
        data: JSONBody[TokenRequest],
        runtime: NamedDependency[Runtime],
        request: Request[Any, Any, Any],
    ) -> TokenResponse:
        """Opens a session: an access token and a refresh token (see ``/auth/refresh``)."""
        return _tokens(await issue_login_token(runtime, _credentials(data, request)))

    @post("/refresh", status_code=200, opt={"public": True})
    async def refresh(
        self, data: JSONBody[RefreshRequest], runtime: NamedDependency[Runtime]
    ) -> TokenResponse:
        """A new access and refresh token for a refresh token, which is then spent; a spent
        one presented again ends the whole session. Authenticated by the refresh token."""
        return _tokens(await refresh_session(runtime, data.refresh_token))

    @post("/logout", status_code=204, opt={"session": True})
    async def logout(
        self, principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]
    ) -> None:
        """Ends the session of the access token used: it and its refresh token stop working."""
        if principal.session_id is None:
            raise Unprocessable.field(
                "authorization", "only a login session can log out; revoke API keys instead"
            )
        await end_session(runtime, principal.session_id)

    @post("/accept", status_code=200, opt={"public": True})
    async def accept(
        self,
        data: JSONBody[AcceptRequest],
        runtime: NamedDependency[Runtime],
        request: Request[Any, Any, Any],
    ) -> TokenResponse:
        """Join a tenant that hired you: your own password plus the invite it gave you."""
        return _tokens(await accept_invite(runtime, _credentials(data, request), data.token))

    @post("/change-password", status_code=204, opt={"public": True})
    async def change_password(
        self,
        data: JSONBody[ChangePasswordRequest],
        runtime: NamedDependency[Runtime],
        request: Request[Any, Any, Any],
    ) -> None:
        """Takes what logging in takes; every token issued before stops working."""
        await change_password(runtime, _credentials(data, request), data.new_password)

    @post("/set-password", status_code=204, opt={"public": True})
    async def set_password(
        self, data: JSONBody[SetPasswordRequest], runtime: NamedDependency[Runtime]
    ) -> None:
        """Redeem an invite for a first password; the same 401 for every token that may not."""
        redeemed = await redeem_password(
            runtime, tenant_slug=data.tenant, token=data.token, password=data.password
        )
        if not redeemed:
            raise Unauthorized("the token is invalid or expired", code="invalid_token")


def staff_out(membership: Membership, user: User) -> StaffOut:
    """The person as this tenant knows them: its display name, and nothing of the identity's
    own state (name, password) until they have accepted the membership."""
    return StaffOut(
        id=membership.id,
        email=Sensitive(user.email, "email"),
        name=Sensitive(membership.display_name or user.name, "name"),
        role=membership.role,
        stores=None
        if membership.store_ids is None
        else [uuid.UUID(s) for s in membership.store_ids],
        active=membership.active,
        has_password=not membership.pending and user.password_hash is not None,
        pending=membership.pending,
        managed_by=membership.managed_by.value,
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
        user = await session.get_one(User, membership.user_id)  # the foreign key holds
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
        user = await session.get_one(User, membership.user_id)  # the foreign key holds
        return staff_out(membership, user)

    @post("/{staff_id:uuid}/invite", status_code=201)
    async def invite(
        self,
        staff_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        runtime: NamedDependency[Runtime],
    ) -> InviteOut:
        """A one-time token, shown once: for a first password, or to accept (``purpose``)."""
        membership = (
            await session.scalars(select(Membership).where(Membership.id == staff_id))
        ).one_or_none()
        if membership is None:
            raise NotFound("no such staff member")
        user = await session.get_one(User, membership.user_id)  # the foreign key holds
        try:
            token, expires_at, purpose = await issue_invite(
                session,
                membership,
                user,
                secret=runtime.settings.secret_key,
                now=runtime.clock(),
                ttl=dt.timedelta(seconds=runtime.settings.invite_ttl_seconds),
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
        return InviteOut(token=token, expires_at=expires_at, purpose=purpose)
