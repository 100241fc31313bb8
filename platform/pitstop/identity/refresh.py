"""Login sessions: a short-lived access token plus a refresh token rotated on every use.

Logging in (or accepting an invite) opens a session: an access token
(``PITSTOP_TOKEN_TTL_SECONDS``, 30 minutes) whose ``sid`` names the session, and a refresh
token ``psr_...`` (``PITSTOP_REFRESH_TTL_SECONDS``, 30 days) that ``POST /auth/refresh``
exchanges for a new pair. Only an HMAC of each refresh token is stored.

* Rotation: a refresh token works once. Presenting a spent one again means two parties
  hold it (a copy was stolen), so the whole session is revoked: its refresh tokens and,
  through ``sid``, its access tokens.
* A refresh re-checks everything a login checks: the person and membership are active,
  the tenant is not suspended, and the password and membership epochs are those the
  session was opened under, so a password change or a deactivation ends it for good.
* ``POST /auth/logout`` revokes the session of the access token it is called with.

Every refusal is the same 401, so a probe learns nothing about which tokens exist.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.base import new_id
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import Unauthorized
from pitstop.identity.authenticate import hash_api_secret
from pitstop.identity.models import Membership, RefreshToken, User
from pitstop.identity.tokens import TokenClaims, issue_token, membership_claims
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant, TenantStatus

REFRESH_PREFIX = "psr_"


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


def _refused() -> Unauthorized:
    return Unauthorized("the refresh token is invalid or expired", code="invalid_token")


async def open_session(
    claims: TokenClaims, *, sessions: SessionFactory, settings: Settings, now: dt.datetime
) -> IssuedSession:
    """A new session for claims a login (or an accepted invite) has just granted."""
    async with sessions() as session, session.begin():
        return await _issue(session, settings, claims, now, family_id=new_id())


async def _issue(
    session: AsyncSession,
    settings: Settings,
    claims: TokenClaims,
    now: dt.datetime,
    *,
    family_id: uuid.UUID,
) -> IssuedSession:
    await session.execute(
        delete(RefreshToken).where(
            RefreshToken.user_id == claims.user_id, RefreshToken.expires_at <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=hash_api_secret(secret, settings.secret_key),
            family_id=family_id,
            user_id=claims.user_id,
            tenant_id=claims.tenant_id,
            membership_id=claims.membership_id,
            credentials_epoch=claims.credentials_epoch,
            membership_epoch=claims.membership_epoch,
            issued_at=now,
            expires_at=now + dt.timedelta(seconds=settings.refresh_ttl_seconds),
        )
    )
    claims = replace(claims, session_id=family_id)
    access = issue_token(claims, settings.secret_key, now, settings.token_ttl_seconds)
    return IssuedSession(
        access, settings.token_ttl_seconds, REFRESH_PREFIX + secret, settings.refresh_ttl_seconds
    )


async def refresh_session(
    presented: str, *, sessions: SessionFactory, settings: Settings, now: dt.datetime
) -> IssuedSession:
    """Spend one refresh token for a new pair; a spent one presented again ends the session."""
    if not presented.startswith(REFRESH_PREFIX):
        raise _refused()
    digest = hash_api_secret(presented.removeprefix(REFRESH_PREFIX), settings.secret_key)
    async with sessions() as session, session.begin():
        row = (
            await session.scalars(select(RefreshToken).where(RefreshToken.token_hash == digest))
        ).one_or_none()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            issued = None
        elif not await _spend(session, row, now):
            await revoke_family(session, row.family_id, now)  # reuse: two parties hold it
            issued = None
        else:
            claims = await _claims_now(session, row)
            if claims is None:
                await revoke_family(session, row.family_id, now)
                issued = None
            else:
                issued = await _issue(session, settings, claims, now, family_id=row.family_id)
    if issued is None:
        raise _refused()
    return issued


async def _spend(session: AsyncSession, row: RefreshToken, now: dt.datetime) -> bool:
    """Mark the token used if nobody has: one conditional UPDATE, so two concurrent
    refreshes with the same token cannot both succeed."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def _claims_now(session: AsyncSession, row: RefreshToken) -> TokenClaims | None:
    """What the session may still be, re-read now; None if anything ended it."""
    user = await session.get(User, row.user_id)
    if user is None or not user.active or user.credentials_epoch != row.credentials_epoch:
        return None
    if row.tenant_id is None:
        if not user.platform_admin:
            return None
        return TokenClaims(
            user.id, None, None, None, None, platform=True, credentials_epoch=row.credentials_epoch
        )
    tenant = await session.get(Tenant, row.tenant_id)
    if tenant is None or tenant.status == TenantStatus.suspended or row.membership_id is None:
        return None
    with tenant_scope(tenant.id):
        membership = await session.get(Membership, (tenant.id, row.membership_id))
    if membership is None or not membership.still_signs_in(user.id, row.membership_epoch):
        return None
    return membership_claims(user.id, membership, user.credentials_epoch)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def end_session(family_id: uuid.UUID, *, sessions: SessionFactory, now: dt.datetime) -> None:
    """Log out: the session's refresh tokens and access tokens stop working."""
    async with sessions() as session, session.begin():
        await revoke_family(session, family_id, now)
