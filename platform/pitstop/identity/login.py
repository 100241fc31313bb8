"""Logging in: one answer for every wrong credential, and lock-outs against guessing.

Wrong password, unknown e-mail and unknown tenant all get the same 401 so nobody can learn
which staff or tenants exist. Failures are counted per (tenant, e-mail) and per client
address within a sliding window; past the limit the answer is 429 with ``Retry-After``
until the oldest counted failure leaves the window. The clock is injected for tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.errors import Forbidden, TooManyRequests, Unauthorized
from pitstop.identity.models import LoginFailure, Membership, User
from pitstop.identity.passwords import verify_password
from pitstop.identity.staff import find_user
from pitstop.identity.tokens import TokenClaims, issue_token
from pitstop.runtime import Runtime
from pitstop.tenancy.context import tenant_scope
from pitstop.tenancy.models import Tenant, TenantStatus

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 50


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:64]
    return f"{kind}:{digest}"


async def _retry_after(session: AsyncSession, key: str, limit: int, now: dt.datetime) -> int | None:
    """Seconds until this key is under its limit again, or None when it is already."""
    since = now - WINDOW
    rows = (
        await session.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
    ).all()
    if len(rows) < limit:
        return None
    oldest_counted = rows[-1]
    return max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))


async def issue_login_token(
    runtime: Runtime, *, tenant_slug: str | None, email: str, password: str, address: str
) -> tuple[str, int]:
    now = runtime.clock()
    email = email.strip().lower()
    account_key = _key("account", tenant_slug or "", email)
    address_key = _key("address", address)
    async with runtime.sessions() as session, session.begin():
        await session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
        for key, limit in ((account_key, ACCOUNT_LIMIT), (address_key, ADDRESS_LIMIT)):
            wait = await _retry_after(session, key, limit, now)
            if wait is not None:
                raise TooManyRequests(
                    "too many failed logins; try again later",
                    code="login_locked",
                    headers={"Retry-After": str(wait)},
                )
        user = await find_user(session, email)
        ok = verify_password(user.password_hash if user else None, password)
        claims = await _claims(session, tenant_slug, user) if ok and user else None
    if claims is None:
        await _record_failure(runtime, tenant_slug, account_key, address_key, now)
        raise Unauthorized("wrong tenant, e-mail or password", code="invalid_credentials")
    ttl = runtime.settings.token_ttl_seconds
    return issue_token(claims, runtime.settings.secret_key, now, ttl), ttl


async def _claims(session: AsyncSession, tenant_slug: str | None, user: User) -> TokenClaims | None:
    if not user.active:
        return None
    if tenant_slug is None:
        if not user.platform_admin:
            return None
        return TokenClaims(user.id, None, None, None, None, platform=True)
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == tenant_slug))).first()
    if tenant is None:
        return None
    with tenant_scope(tenant.id):
        membership = (
            await session.scalars(
                select(Membership).where(Membership.user_id == user.id, Membership.active)
            )
        ).one_or_none()
    if membership is None:
        return None
    if tenant.status == TenantStatus.suspended:
        raise Forbidden("this tenant is suspended", code="tenant_suspended")
    return TokenClaims(user.id, tenant.id, membership.id, membership.role, membership.store_ids)


async def _record_failure(
    runtime: Runtime,
    tenant_slug: str | None,
    account_key: str,
    address_key: str,
    now: dt.datetime,
) -> None:
    async with runtime.sessions() as session, session.begin():
        session.add_all(
            [LoginFailure(key=account_key, at=now), LoginFailure(key=address_key, at=now)]
        )
        await session.flush()
        tenant = None
        if tenant_slug:
            tenant = (
                await session.scalars(select(Tenant).where(Tenant.slug == tenant_slug))
            ).first()
        if tenant is None:
            return
        count = await session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == account_key, LoginFailure.at > now - WINDOW)
        )
        with tenant_scope(tenant.id):
            await record(
                session, "auth.login_failed", resource="login", detail={"key": account_key[-12:]}
            )
            if count == ACCOUNT_LIMIT:
                await record(
                    session, "auth.locked", resource="login", detail={"key": account_key[-12:]}
                )
