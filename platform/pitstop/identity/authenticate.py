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
from typing import Any

from sqlalchemy import Row, Select, Uuid, and_, bindparam, exists, false, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.masking import policy_for
from pitstop.access.permissions import STORE_SCOPED_ROLES
from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.db.discovery import API_KEYS_BY_PREFIX, discover
from pitstop.db.engine import READ_ONLY, SessionFactory
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

    async def __call__(self, credential: str, session: AsyncSession | None = None) -> Principal:
        """``session``: the request's own transaction, where a token's standing is read
        (on PostgreSQL the edge passes it: no connection, transaction or tenant setting of
        its own for authentication); without it, a short read-only transaction."""
        if credential.startswith(API_KEY_PREFIX):
            return await _api_key_principal(self.sessions, self.secret_key, credential)
        reader = _Reader(self.sessions, session)
        return await _token_principal(reader, self.secret_key, self.clock(), credential)


@dataclass(frozen=True)
class _Reader:
    sessions: SessionFactory
    session: AsyncSession | None

    async def first(self, statement: Select[Any], ids: dict[str, Any]) -> Row[Any] | None:
        """One read, retried once on a connection the server had closed (no pool pre-ping):
        SQLAlchemy has then invalidated the pool, so the retry gets a fresh connection."""
        for attempt in (1, 2):
            try:
                return await self._first(statement, ids)
            except DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
                if self.session is not None:
                    await self.session.rollback()
        raise AssertionError("unreachable")

    async def _first(self, statement: Select[Any], ids: dict[str, Any]) -> Row[Any] | None:
        if self.session is not None:
            return (await self.session.execute(statement, ids)).first()
        async with self.sessions() as session:
            await session.connection(execution_options={READ_ONLY: True})
            return (await session.execute(statement, ids)).first()


async def _token_principal(
    reader: _Reader, secret_key: str, now: dt.datetime, credential: str
) -> Principal:
    try:
        claims = read_token(credential, secret_key, now)
    except TokenInvalid:
        raise Unauthorized("the token is invalid or expired", code="invalid_token") from None
    if claims.platform:
        statement = _PLATFORM_STANDING[claims.session_id is not None]
        ids = {"user_id": claims.user_id, "session_id": claims.session_id}
        row = await _read_standing(reader, statement, ids)
        _check_person(row, claims.credentials_epoch)
        if not row.platform_admin:
            raise Unauthorized("the token is invalid or expired", code="invalid_token")
        return Principal(
            "platform",
            claims.user_id,
            None,
            None,
            PLATFORM_PERMISSIONS,
            session_id=claims.session_id,
        )
    if claims.tenant_id is None or claims.membership_id is None:
        raise Unauthorized("the token names no tenant", code="invalid_token")
    with tenant_scope(claims.tenant_id):
        statement = _MEMBER_STANDING[claims.session_id is not None]
        ids = {
            "user_id": claims.user_id,
            "tenant_id": claims.tenant_id,
            "membership_id": claims.membership_id,
            "session_id": claims.session_id,
        }
        row = await _read_standing(reader, statement, ids)
    _check_person(row, claims.credentials_epoch)
    if row.tenant_status is None:
        raise Unauthorized("the token is invalid or expired", code="invalid_token")
    if row.tenant_status == TenantStatus.suspended:
        raise Forbidden("this tenant is suspended", code="tenant_suspended")
    if not (
        row.member_active
        and not row.member_pending
        and row.member_user_id == claims.user_id
        and row.member_epoch == claims.membership_epoch
    ):
        raise Unauthorized("the membership is inactive", code="invalid_token")
    permissions, store_ids = grants_of(
        row.member_role, row.member_store_ids, row.role_permissions, row.role_store_scoped
    )
    return Principal(
        kind="user",
        actor_id=claims.membership_id,
        tenant_id=claims.tenant_id,
        role=row.member_role,
        permissions=permissions,
        store_ids=store_ids,
        pii_full=policy_for(row.member_role, (row.tenant_settings or {}).get("pii_policy")),
        tenant_slug=row.tenant_slug,
        session_id=claims.session_id,
        language=row.user_language,
    )


def _session_ended(with_session: bool) -> Any:
    """Logged out, or revoked because a spent refresh token came back (identity/refresh.py)."""
    if not with_session:
        return false()
    return exists().where(
        RefreshToken.family_id == bindparam("session_id"), RefreshToken.revoked_at.is_not(None)
    )


def _platform_standing(with_session: bool) -> Select[Any]:
    return select(
        User.active.label("user_active"),
        User.credentials_epoch,
        User.platform_admin,
        _session_ended(with_session).label("session_ended"),
    ).where(User.id == bindparam("user_id"))


def _member_standing(with_session: bool) -> Select[Any]:
    """Everything a token's standing depends on, read in one statement.

    The person, their session, the tenant, the membership and its role are joined so that
    a request pays one round trip to be authenticated, yet every fact is read afresh:
    a deactivation, suspension, logout or role change committed before the request is
    seen by it (outer joins, so a missing row reads as NULL and is refused below).
    Built once, run with each token's ids: the ORM wall decides about it once, too.
    """
    tenant_id: Any = bindparam("tenant_id", type_=Uuid)
    membership_id: Any = bindparam("membership_id", type_=Uuid)
    return (
        select(
            User.active.label("user_active"),
            User.credentials_epoch,
            User.language.label("user_language"),
            _session_ended(with_session).label("session_ended"),
            Tenant.status.label("tenant_status"),
            Tenant.slug.label("tenant_slug"),
            Tenant.settings.label("tenant_settings"),
            Membership.user_id.label("member_user_id"),
            Membership.role.label("member_role"),
            Membership.store_ids.label("member_store_ids"),
            Membership.active.label("member_active"),
            Membership.pending.label("member_pending"),
            Membership.epoch.label("member_epoch"),
            Role.permissions.label("role_permissions"),
            Role.store_scoped.label("role_store_scoped"),
        )
        .select_from(User)
        .outerjoin(Tenant, Tenant.id == tenant_id)
        .outerjoin(
            Membership, and_(Membership.tenant_id == tenant_id, Membership.id == membership_id)
        )
        .outerjoin(Role, and_(Role.tenant_id == tenant_id, Role.name == Membership.role))
        .where(User.id == bindparam("user_id"))
    )


_PLATFORM_STANDING = {flag: _platform_standing(flag) for flag in (False, True)}
_MEMBER_STANDING = {flag: _member_standing(flag) for flag in (False, True)}


async def _read_standing(reader: _Reader, statement: Select[Any], ids: dict[str, Any]) -> Row[Any]:
    row = await reader.first(statement, ids)
    if row is None:
        raise Unauthorized("the account is inactive", code="invalid_token")
    return row


def _check_person(row: Row[Any], credentials_epoch: int) -> None:
    if not row.user_active:
        raise Unauthorized("the account is inactive", code="invalid_token")
    if row.credentials_epoch != credentials_epoch:
        raise Unauthorized("the password changed since this token", code="invalid_token")
    if row.session_ended:
        raise Unauthorized("the session has ended", code="invalid_token")


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
    return grants_of(
        membership.role,
        membership.store_ids,
        None if role is None else role.permissions,
        None if role is None else role.store_scoped,
    )


def grants_of(
    role_name: str,
    store_ids: list[str] | None,
    role_permissions: list[str] | None,
    role_store_scoped: bool | None,
) -> tuple[frozenset[str], frozenset[uuid.UUID] | None]:
    """:func:`role_grants` from the columns read (``role_permissions`` None: no such role)."""
    if role_permissions is None:
        return frozenset(), frozenset()
    scoped = bool(role_store_scoped) or role_name in STORE_SCOPED_ROLES
    if store_ids is None:
        return frozenset(role_permissions), frozenset() if scoped else None
    return frozenset(role_permissions), frozenset(uuid.UUID(s) for s in store_ids)


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
