"""Staff administration as one service: hire, change, deactivate and invite, for the API and
the console alike.

``POST/PATCH /api/v1/staff`` and the console's staff forms call these functions, so both
refuse the same input with the same errors (each bad field named), write the same audit
entry (``staff.changed`` with ``detail.change``) and keep the same store scope. Hiring
itself is ``identity.staff.upsert_member``, which tenant manifests share.

Store scope: HQ (no store scope) manages everyone. A principal working at named stores
who holds ``staff:manage`` (a custom role) manages only the people who work at nothing but
their stores: anyone else is "no such staff member", exactly like another tenant's id. They
give only their own stores, and only a store-scoped role holding nothing they lack, so
they can neither widen anyone's reach nor their own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.permissions import STORES_REQUIRED
from pitstop.access.principal import Principal
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.identity import staff as staff_service
from pitstop.identity.invites import InviteRefused, issue_invite
from pitstop.identity.models import Membership, Role, User
from pitstop.identity.notices import StaffNotices
from pitstop.identity.schemas import InviteOut, StaffCreate, StaffPatch
from pitstop.tenancy.models import Store, Tenant

NO_SUCH_ROLE = "no such role in this tenant"
NO_SUCH_STORE = "no such store"
ONLY_OWN_STORES = "you may give only your own stores"
ROLE_BEYOND_YOURS = "this role can do more than you may give"
NOT_YOURSELF = "you cannot deactivate yourself"
CANNOT_HIRE = "this address cannot be hired"
FIELD_MESSAGES = (
    NO_SUCH_ROLE,
    NO_SUCH_STORE,
    ONLY_OWN_STORES,
    ROLE_BEYOND_YOURS,
    NOT_YOURSELF,
    CANNOT_HIRE,
    STORES_REQUIRED,
)
"""Every field message this service gives, so a console can word each in its language."""


def manages(principal: Principal, membership: Membership) -> bool:
    """Whether ``principal`` may see and change this person (the module's store scope)."""
    if principal.store_ids is None:
        return True
    scope = membership.store_ids
    return bool(scope) and all(uuid.UUID(s) in principal.store_ids for s in scope or ())


def managed(principal: Principal, rows: Sequence[Any]) -> list[Any]:
    """``(Membership, User)`` rows left to those ``principal`` manages."""
    return [row for row in rows if manages(principal, row[0])]


async def member(session: AsyncSession, principal: Principal, staff_id: uuid.UUID) -> Membership:
    """The staff member, or 404 for one that is not this tenant's or not in the scope."""
    membership = (
        await session.scalars(select(Membership).where(Membership.id == staff_id))
    ).one_or_none()
    if membership is None or not manages(principal, membership):
        raise NotFound("no such staff member")
    return membership


async def hire(session: AsyncSession, principal: Principal, data: StaffCreate) -> Membership:
    """A new member (or a pending one for an identity another tenant owns); 409 when the
    person already works here."""
    if data.stores is None and principal.store_ids is not None:
        raise Unprocessable.field("stores", ONLY_OWN_STORES)
    await _check_role_and_stores(session, principal, data.role, data.stores)
    await _require_stores_for_scope(session, data.role, data.stores)
    existing = await staff_service.find_user(session, data.email)
    if existing is not None:
        known = (
            await session.scalars(select(Membership).where(Membership.user_id == existing.id))
        ).one_or_none()
        if known is not None:
            duplicate = Conflict("this person already works here", code="duplicate_staff")
            if manages(principal, known):  # another store's person stays unnamed
                duplicate.extra["id"] = str(known.id)
            raise duplicate
    try:
        membership, _ = await staff_service.upsert_member(
            session, email=data.email, name=data.name, role=data.role, store_ids=data.stores
        )
    except staff_service.HireRefused:
        raise Unprocessable.field("email", CANNOT_HIRE) from None
    await session.flush()
    detail = {"change": "hired", "role": data.role, "pending": membership.pending}
    await record(session, "staff.changed", resource="staff", resource_id=membership.id,
                 detail=detail)  # fmt: skip
    return membership


async def change(
    session: AsyncSession, principal: Principal, membership: Membership, data: StaffPatch
) -> dict[str, Any]:
    """Role, store scope and active state as ``data`` names them; the changes audited
    (none: nothing written) and returned."""
    stores = data.stores if isinstance(data.stores, list) else None
    if data.stores is None and principal.store_ids is not None:
        raise Unprocessable.field("stores", ONLY_OWN_STORES)
    await _check_role_and_stores(session, principal, data.role, stores)
    if data.role is not None or data.stores is not msgspec.UNSET:
        after = membership.store_ids if data.stores is msgspec.UNSET else stores
        await _require_stores_for_scope(session, data.role or membership.role, after)
    if membership.id == principal.actor_id and data.active is False:
        raise Unprocessable.field("active", NOT_YOURSELF)
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
        await record(session, "staff.changed", resource="staff", resource_id=membership.id,
                     detail={"change": "updated", **changes})  # fmt: skip
    return changes


async def invite(
    session: AsyncSession,
    membership: Membership,
    *,
    secret: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    notices: StaffNotices,
) -> InviteOut:
    """A one-time token for a first password (or a reset), or to accept: sent through the
    tenant's staff channel when it has one (``token`` None), else given back to show once."""
    user = await staff_service.person_of(session, membership)
    try:
        token, expires_at, purpose = await issue_invite(
            session, membership, user, secret=secret, now=now, ttl=ttl
        )
    except InviteRefused as refused:
        raise Conflict(refused.message, code=refused.code) from None
    await record(session, "staff.changed", resource="staff", resource_id=membership.id,
                 detail={"change": "invited", "purpose": purpose})  # fmt: skip
    tenant = await session.get(Tenant, membership.tenant_id)
    data = {"tenant_name": tenant.name if tenant else "", "token": token}
    sent_by = await notices.send_staff_secret(session, membership.id, "staff_invite", data)
    if sent_by is not None:
        return InviteOut(token=None, expires_at=expires_at, purpose=purpose, sent_by=sent_by)
    return InviteOut(token=token, expires_at=expires_at, purpose=purpose)


async def person(session: AsyncSession, membership: Membership) -> User:
    return await staff_service.person_of(session, membership)


async def _check_role_and_stores(
    session: AsyncSession,
    principal: Principal,
    role: str | None,
    stores: list[uuid.UUID] | None,
) -> None:
    """The role exists (and, for a store-scoped giver, gives nothing they lack); each store
    exists and is one the giver sees: another's store is "no such store", as a foreign id."""
    if role is not None:
        if role not in await staff_service.role_names(session):
            raise Unprocessable.field("role", NO_SUCH_ROLE)
        if principal.store_ids is not None and not await _may_give(session, principal, role):
            raise Unprocessable.field("role", ROLE_BEYOND_YOURS)
    if not stores:
        return
    known = set((await session.scalars(select(Store.id).where(Store.id.in_(stores)))).all())
    for i, store_id in enumerate(stores):
        if store_id not in known or not principal.sees_store(store_id):
            raise Unprocessable.field(f"stores[{i}]", NO_SUCH_STORE)


async def _may_give(session: AsyncSession, principal: Principal, role: str) -> bool:
    """A store-scoped giver gives only a store-scoped role holding nothing they lack."""
    if not await staff_service.is_store_scoped(session, role):
        return False
    row = (await session.scalars(select(Role).where(Role.name == role))).one_or_none()
    return row is not None and set(row.permissions) <= principal.permissions


async def _require_stores_for_scope(
    session: AsyncSession, role: str, stores: Sequence[uuid.UUID] | Sequence[str] | None
) -> None:
    """A store-scoped role without a store would see nothing, or (before) everything."""
    if not stores and await staff_service.is_store_scoped(session, role):
        raise Unprocessable.field("stores", STORES_REQUIRED)


async def set_language(session: AsyncSession, principal: Principal, language: str) -> None:
    """Keep the console language a staff member chose with the person (``users.language``),
    so it follows them to another browser; an API key or operator has no person here."""
    if principal.kind != "user":
        return
    membership = await session.scalar(select(Membership).where(Membership.id == principal.actor_id))
    if membership is not None:
        (await staff_service.person_of(session, membership)).language = language


async def language_of(session: AsyncSession, email: str) -> str | None:
    """The language the person with this e-mail chose, if any (read at sign-in)."""
    user = await staff_service.find_user(session, email)
    return None if user is None else user.language
