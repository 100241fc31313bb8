"""Turn a bearer credential into a :class:`Principal`, checking everything on every request.

JWTs are checked for signature and expiry, then the user, membership and tenant are read
again, so a deactivation or suspension takes effect immediately, and the token's epochs
must still match, so a password change or a past deactivation has ended it. API keys (``psk_...``)
are looked up by their public prefix and verified against a hash; the secret is never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.masking import policy_for
from pitstop.access.permissions import STORE_SCOPED_ROLES
from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.db.discovery import API_KEYS_BY_PREFIX, discover
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import Forbidden, Unauthorized
from pitstop.identity.models import ApiKey, Membership, RefreshToken, Role, User
from pitstop.identity.tokens import TokenInvalid, read_token
from pitstop.tenancy.models import Tenant, TenantStatus

API_KEY_PREFIX = "psk_"
PLATFORM_PERMISSIONS = frozenset({"platform:admin"})


def hash_api_secret(secret: str, key: str) -> str:
    """HMAC with the deployment secret: a stolen table alone cannot be brute-forced offline."""
    return hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Authenticator:
    """The edge's way from a credential to a principal, given its collaborators by the
    assembly (``create_app``) rather than finding them in the app's state."""

    sessions: SessionFactory
    secret_key: str
    clock: Clock

    async def __call__(self, credential: str) -> Principal:
        if credential.startswith(API_KEY_PREFIX):
            return await _api_key_principal(self.sessions, self.secret_key, credential)
        return await _token_principal(self.sessions, self.secret_key, self.clock(), credential)


async def _token_principal(
    sessions: SessionFactory, secret_key: str, now: dt.datetime, credential: str
) -> Principal:
    try:
        claims = read_token(credential, secret_key, now)
    except TokenInvalid:
        raise Unauthorized("the token is invalid or expired", code="invalid_token") from None
    async with sessions() as session:
        user = await session.get(User, claims.user_id)
        if user is None or not user.active:
            raise Unauthorized("the account is inactive", code="invalid_token")
        if claims.credentials_epoch != user.credentials_epoch:
            raise Unauthorized("the password changed since this token", code="invalid_token")
        if claims.session_id is not None and await _session_ended(session, claims.session_id):
            raise Unauthorized("the session has ended", code="invalid_token")
        if claims.platform:
            if not user.platform_admin:
                raise Unauthorized("the token is invalid or expired", code="invalid_token")
            return Principal(
                "platform",
                user.id,
                None,
                None,
                PLATFORM_PERMISSIONS,
                session_id=claims.session_id,
            )
        if claims.tenant_id is None or claims.membership_id is None:
            raise Unauthorized("the token names no tenant", code="invalid_token")
        tenant = await _active_tenant(session, claims.tenant_id)
        with tenant_scope(tenant.id):
            membership = await session.get(Membership, (tenant.id, claims.membership_id))
            if membership is None or not membership.still_signs_in(
                user.id, claims.membership_epoch
            ):
                raise Unauthorized("the membership is inactive", code="invalid_token")
            permissions, store_ids = await role_grants(session, membership)
    return Principal(
        kind="user",
        actor_id=membership.id,
        tenant_id=tenant.id,
        role=membership.role,
        permissions=permissions,
        store_ids=store_ids,
        pii_full=policy_for(membership.role, tenant.settings.get("pii_policy")),
        tenant_slug=tenant.slug,
        session_id=claims.session_id,
    )


async def _session_ended(session: AsyncSession, family_id: uuid.UUID) -> bool:
    """Logged out, or revoked because a spent refresh token came back (identity/refresh.py)."""
    ended = exists().where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None)
    )
    return bool(await session.scalar(select(ended)))


async def _active_tenant(session: object, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)  # type: ignore[attr-defined]
    if tenant is None:
        raise Unauthorized("the token is invalid or expired", code="invalid_token")
    if tenant.status == TenantStatus.suspended:
        raise Forbidden("this tenant is suspended", code="tenant_suspended")
    return tenant


async def role_grants(
    session: AsyncSession, membership: Membership
) -> tuple[frozenset[str], frozenset[uuid.UUID] | None]:
    """What a membership may do, and at which stores (None: every store).

    Fails closed: a role that is gone grants nothing and no store, and a store-scoped role
    with no stores (an old row, a database edit) sees no store rather than all of them.
    """
    role = (await session.scalars(select(Role).where(Role.name == membership.role))).one_or_none()
    if role is None:
        return frozenset(), frozenset()
    scoped = role.store_scoped or membership.role in STORE_SCOPED_ROLES
    if membership.store_ids is None:
        return frozenset(role.permissions), frozenset() if scoped else None
    return frozenset(role.permissions), frozenset(uuid.UUID(s) for s in membership.store_ids)


def split_api_key(credential: str) -> tuple[str, str]:
    body = credential.removeprefix(API_KEY_PREFIX)
    prefix, _, secret = body.partition("_")
    if not prefix or not secret:
        raise Unauthorized("the API key is invalid", code="invalid_token")
    return prefix, secret


async def _api_key_principal(
    sessions: SessionFactory, secret_key: str, credential: str
) -> Principal:
    prefix, secret = split_api_key(credential)
    digest = hash_api_secret(secret, secret_key)
    async with sessions() as session:
        candidates = await discover(
            session,
            API_KEYS_BY_PREFIX,
            {"key_prefix": prefix},
            fallback=select(ApiKey.tenant_id, ApiKey.id).where(ApiKey.prefix == prefix),
            reason="api key lookup by public prefix",
        )
        for tenant_id, key_id in candidates:
            with tenant_scope(tenant_id):
                key = await session.get(ApiKey, (tenant_id, key_id))
                if key is None or not hmac.compare_digest(key.secret_hash, digest):
                    continue
                if key.revoked_at is not None:
                    break
                tenant = await _active_tenant(session, tenant_id)
                creator = await session.get(Membership, (tenant_id, key.created_by))
                if creator is None or not creator.can_act:
                    break
                # A key never exceeds what its creator may do today, whatever it was given,
                # nor sees a store its creator does not.
                allowed, store_ids = await role_grants(session, creator)
                return Principal(
                    kind="api_key",
                    actor_id=key.id,
                    tenant_id=tenant.id,
                    role=None,
                    permissions=frozenset(key.permissions) & allowed,
                    store_ids=store_ids,
                    tenant_slug=tenant.slug,
                )
    raise Unauthorized("the API key is invalid or revoked", code="invalid_token")
