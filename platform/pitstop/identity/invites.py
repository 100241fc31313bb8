"""Invites: how a hire becomes someone who signs in, without a tenant touching anyone else.

An invite is a one-time token shown once to the tenant's admin, who hands it to the
person; only its hash is stored. What redeeming it may do is decided from the state at
redemption, not at issue:

* ``set_password`` — the identity is the tenant's own (it created it, nobody else has
  accepted it) and has no password yet: the person chooses the first one.
* ``accept`` — the membership is pending because the identity already existed: the person
  signs in with their *own* password plus the invite (``login.accept_invite``). Needing
  both means neither the hiring tenant (who holds the invite) nor another tenant that
  created the identity first (who may know its password) can accept on their own.

Nothing here ever replaces a password, renames a person or touches another tenant's
membership, and platform operators are never invited.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import acting_as, record
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.authenticate import hash_api_secret
from pitstop.identity.models import InviteToken, Membership, User
from pitstop.identity.passwords import hash_password
from pitstop.tenancy.models import Tenant

Purpose = Literal["set_password", "accept"]
SET_PASSWORD: Purpose = "set_password"
ACCEPT: Purpose = "accept"


class InviteRefused(Exception):
    """No invite may be issued for this staff member now; ``code`` is the API's."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def purpose_of(membership: Membership, user: User, tenant_id: uuid.UUID) -> Purpose:
    """What redeeming an invite for this membership may do now."""
    if user.platform_admin or not user.active:
        raise InviteRefused("this person cannot be invited", "not_invitable")
    if not membership.active:
        raise InviteRefused("the staff member is inactive", "staff_inactive")
    if membership.pending:
        return ACCEPT
    if user.owner_tenant_id == tenant_id and user.password_hash is None:
        return SET_PASSWORD
    raise InviteRefused("this person already signs in with their own password", "has_password")


async def issue_invite(
    session: AsyncSession,
    membership: Membership,
    user: User,
    *,
    secret: str,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> tuple[str, dt.datetime, Purpose]:
    """A fresh token, its expiry and its purpose; raises InviteRefused.

    The newest invite is the only one that works: issuing one revokes (deletes) the
    person's unused older ones, so a token sent to a wrong address can be replaced.
    """
    purpose = purpose_of(membership, user, membership.tenant_id)
    await session.execute(
        delete(InviteToken).where(
            InviteToken.membership_id == membership.id, InviteToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        InviteToken(
            membership_id=membership.id,
            token_hash=hash_api_secret(token, secret),
            expires_at=expires_at,
        )
    )
    return token, expires_at, purpose


async def _live_invite(
    session: AsyncSession, token: str, secret: str, now: dt.datetime
) -> tuple[InviteToken, Membership, User] | None:
    """The unused, unexpired invite and whom it is for (inside the tenant's scope)."""
    digest = hash_api_secret(token, secret)
    invite = (
        await session.scalars(select(InviteToken).where(InviteToken.token_hash == digest))
    ).one_or_none()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    membership = await session.get(Membership, (invite.tenant_id, invite.membership_id))
    user = None if membership is None else await session.get(User, membership.user_id)
    if membership is None or user is None:
        return None
    return invite, membership, user


async def _spend(session: AsyncSession, invite: InviteToken, now: dt.datetime) -> bool:
    """Mark the invite used if nobody has: one conditional UPDATE, so it works once even
    when two redemptions race. Called last, once every other check has passed."""
    result = await session.execute(
        update(InviteToken)
        .where(
            InviteToken.tenant_id == invite.tenant_id,
            InviteToken.id == invite.id,
            InviteToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    invite.used_at = now
    return True


def _purpose_now(membership: Membership, user: User) -> Purpose | None:
    try:
        return purpose_of(membership, user, membership.tenant_id)
    except InviteRefused:
        return None


async def redeem_password(
    *,
    sessions: SessionFactory,
    secret_key: str,
    now: dt.datetime,
    tenant_slug: str,
    token: str,
    password: str,
) -> bool:
    """Set the first password of an identity the tenant owns; False in every other case."""
    async with sessions() as session, session.begin():
        tenant = (await session.scalars(select(Tenant).where(Tenant.slug == tenant_slug))).first()
        if tenant is None:
            return False
        with tenant_scope(tenant.id):
            found = await _live_invite(session, token, secret_key, now)
            if found is None or _purpose_now(found[1], found[2]) != SET_PASSWORD:
                return False
            invite, membership, user = found
            if not await _spend(session, invite, now):
                return False
            user.replace_password(hash_password(password))
            with acting_as("user", membership.id):
                await _audit(session, membership, "password_set")
    return True


async def take_pending(
    session: AsyncSession, user: User, token: str, *, secret: str, now: dt.datetime
) -> Membership | None:
    """Accept the pending membership the invite names if it is ``user``'s (tenant scope)."""
    found = await _live_invite(session, token, secret, now)
    if found is None:
        return None
    invite, membership, invited = found
    if invited.id != user.id or _purpose_now(membership, invited) != ACCEPT:
        return None
    if not await _spend(session, invite, now):
        return None
    membership.pending = False
    # Accepted by a second tenant, the identity belongs to the person: no tenant may
    # rename it or set its password any more.
    user.owner_tenant_id = None
    with acting_as("user", membership.id):
        await _audit(session, membership, "accepted")
    return membership


async def _audit(session: AsyncSession, membership: Membership, change: str) -> None:
    """The fact, in the tenant's log, as the person themself: never the password."""
    await record(
        session,
        "staff.changed",
        resource="staff",
        resource_id=membership.id,
        detail={"change": change},
    )
