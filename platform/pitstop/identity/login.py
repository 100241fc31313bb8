"""Everything that checks a password: logging in, accepting an invite, changing the password.

All three go through :func:`_with_credentials`, so each is guarded by the same lock-outs
(``lockout.py``) and answers every wrong credential with the same 401: wrong password,
unknown e-mail, unknown tenant, a pending membership or a bad invite are
indistinguishable, so nobody can learn which staff or tenants exist. The clock is
injected for tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import acting_as, record
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import Forbidden, Unauthorized
from pitstop.identity import lockout
from pitstop.identity.invites import take_pending
from pitstop.identity.models import Membership, User
from pitstop.identity.passwords import hash_password, verify_password
from pitstop.identity.refresh import IssuedSession, open_session
from pitstop.identity.staff import find_user
from pitstop.identity.tokens import TokenClaims, membership_claims
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant, TenantStatus

T = TypeVar("T")
Then = Callable[[AsyncSession, User], Awaitable[T | None]]


@dataclass(frozen=True)
class Credentials:
    """What a person types to sign in (``tenant_slug`` None: a platform operator), and from
    which client address."""

    tenant_slug: str | None
    email: str
    password: str
    address: str


async def _with_credentials(
    sessions: SessionFactory, credentials: Credentials, now: dt.datetime, then: Then[T]
) -> T:
    """Run ``then`` for the user whose password this is; None from it is a failed login."""
    attempt = lockout.Attempt(credentials.email.strip().lower(), credentials.address, now)
    async with sessions() as session, session.begin():
        await lockout.refuse_if_locked(session, attempt)
        user = await find_user(session, attempt.email)
        ok = verify_password(user.password_hash if user else None, credentials.password)
        result = await then(session, user) if ok and user and user.active else None
    if result is None:
        await lockout.record_failure(sessions, attempt, credentials.tenant_slug)
        raise Unauthorized("wrong tenant, e-mail or password", code="invalid_credentials")
    return result


async def issue_login_token(
    credentials: Credentials, *, sessions: SessionFactory, settings: Settings, now: dt.datetime
) -> IssuedSession:
    async def claims(session: AsyncSession, user: User) -> TokenClaims | None:
        return await _claims(session, credentials.tenant_slug, user)

    granted = await _with_credentials(sessions, credentials, now, claims)
    return await open_session(granted, sessions=sessions, settings=settings, now=now)


async def accept_invite(
    credentials: Credentials,
    token: str,
    *,
    sessions: SessionFactory,
    settings: Settings,
    now: dt.datetime,
) -> IssuedSession:
    """Accept a pending membership: the person's own password plus the tenant's invite."""

    async def accept(session: AsyncSession, user: User) -> TokenClaims | None:
        tenant = await _tenant(session, credentials.tenant_slug)
        if tenant is None or user.platform_admin:
            return None
        with tenant_scope(tenant.id):
            secret = settings.secret_key
            if await take_pending(session, user, token, secret=secret, now=now) is None:
                return None
            await session.flush()
        return await _claims(session, credentials.tenant_slug, user)

    granted = await _with_credentials(sessions, credentials, now, accept)
    return await open_session(granted, sessions=sessions, settings=settings, now=now)


async def change_password(
    credentials: Credentials, new_password: str, *, sessions: SessionFactory, now: dt.datetime
) -> None:
    """Takes exactly what logging in takes; every token issued before stops working."""

    async def change(session: AsyncSession, user: User) -> bool | None:
        claims = await _claims(session, credentials.tenant_slug, user)
        if claims is None:
            return None
        user.replace_password(hash_password(new_password))
        await _audit_password_change(session, claims)
        return True

    await _with_credentials(sessions, credentials, now, change)


async def _audit_password_change(session: AsyncSession, claims: TokenClaims) -> None:
    """The fact, in the log of the tenant the person proved membership of, as themself.

    The route is public (no tenant in context): the tenant comes from the credentials. A
    platform operator has no tenant and so no row. Other tenants the identity works for
    get none either: finding them would be a cross-tenant read (docs/audit.md)."""
    if claims.tenant_id is None or claims.membership_id is None:
        return
    with tenant_scope(claims.tenant_id), acting_as("user", claims.membership_id):
        await record(
            session,
            "staff.changed",
            resource="staff",
            resource_id=claims.membership_id,
            detail={"change": "password_changed"},
        )


async def _tenant(session: AsyncSession, slug: str | None) -> Tenant | None:
    if slug is None:
        return None
    return (await session.scalars(select(Tenant).where(Tenant.slug == slug))).first()


async def _claims(session: AsyncSession, tenant_slug: str | None, user: User) -> TokenClaims | None:
    """What this user may sign in as here: operator (no tenant) or an accepted membership."""
    epoch = user.credentials_epoch
    if tenant_slug is None:
        if not user.platform_admin:
            return None
        return TokenClaims(user.id, None, None, None, None, platform=True, credentials_epoch=epoch)
    tenant = await _tenant(session, tenant_slug)
    if tenant is None:
        return None
    with tenant_scope(tenant.id):
        membership = (
            await session.scalars(select(Membership).where(Membership.user_id == user.id))
        ).one_or_none()
    if membership is None or not membership.can_act:
        return None
    if tenant.status == TenantStatus.suspended:
        raise Forbidden("this tenant is suspended", code="tenant_suspended")
    return membership_claims(user.id, membership, epoch)
