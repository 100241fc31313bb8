"""Lock-outs against password guessing that do not lock the rightful person out.

Failures are counted in a sliding window under three keys: the account (the e-mail: one
password opens every tenant a person works for), the client address, and the pair.

* An address past ``ADDRESS_LIMIT`` failures waits, whatever account it tries.
* An account past ``ACCOUNT_LIMIT`` failures is locked *for the addresses that failed
  against it*: they wait. An address that has not failed against it still has its
  password checked, so ten wrong guesses from one place cannot shut the owner out
  everywhere; its first wrong guess closes the door for it too.
* Past ``ACCOUNT_CEILING`` failures from all addresses together, every address waits:
  the bound on what a crowd of addresses can guess.

Keys are hashes, so no e-mail address is stored. Waiting is a 429 with ``Retry-After``
until the failure that holds the door leaves the window. The client address is what the
server reports, which believes ``X-Forwarded-For`` only from ``PITSTOP_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import TooManyRequests
from pitstop.identity.models import LoginFailure
from pitstop.tenancy.models import Tenant

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_LIMIT = 10
ACCOUNT_CEILING = 100
ADDRESS_LIMIT = 50


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:64]
    return f"{kind}:{digest}"


def account_key(email: str) -> str:
    return _key("account", email)


def address_key(address: str) -> str:
    return _key("address", address)


def pair_key(email: str, address: str) -> str:
    return _key("pair", email, address)


@dataclass(frozen=True)
class Attempt:
    """One try of a password: for whom, from where, and when (the injected clock)."""

    email: str
    address: str
    now: dt.datetime

    @property
    def keys(self) -> tuple[str, str, str]:
        return (
            account_key(self.email),
            address_key(self.address),
            pair_key(self.email, self.address),
        )


async def _retry_after(session: AsyncSession, key: str, limit: int, now: dt.datetime) -> int | None:
    """Seconds until this key is under its limit again, or None when it is already."""
    rows = (
        await session.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
    ).all()
    if len(rows) < limit:
        return None
    oldest_counted = rows[-1]
    return max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))


async def _wait(session: AsyncSession, attempt: Attempt) -> int | None:
    account, address, pair = attempt.keys
    now = attempt.now
    address_wait = await _retry_after(session, address, ADDRESS_LIMIT, now)
    if address_wait is not None:
        return address_wait
    locked = await _retry_after(session, account, ACCOUNT_LIMIT, now)
    if locked is None:
        return None
    ceiling = await _retry_after(session, account, ACCOUNT_CEILING, now)
    if ceiling is not None:
        return ceiling
    failed_here = await _retry_after(session, pair, 1, now)
    return None if failed_here is None else min(locked, failed_here)


async def refuse_if_locked(session: AsyncSession, attempt: Attempt) -> None:
    """Forget failures older than the window, then 429 if this attempt must wait."""
    await session.execute(delete(LoginFailure).where(LoginFailure.at <= attempt.now - WINDOW))
    wait = await _wait(session, attempt)
    if wait is not None:
        raise TooManyRequests(
            "too many failed logins; try again later",
            code="login_locked",
            headers={"Retry-After": str(wait)},
        )


async def record_failure(
    sessions: SessionFactory, attempt: Attempt, tenant_slug: str | None
) -> None:
    """Count the failure and audit it, in a transaction of its own after the attempt's."""
    account = attempt.keys[0]
    async with sessions() as session, session.begin():
        session.add_all([LoginFailure(key=key, at=attempt.now) for key in attempt.keys])
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
            .where(LoginFailure.key == account, LoginFailure.at > attempt.now - WINDOW)
        )
        with tenant_scope(tenant.id):
            await record(
                session, "auth.login_failed", resource="login", detail={"key": account[-12:]}
            )
            if count == ACCOUNT_LIMIT:
                await record(
                    session, "auth.locked", resource="login", detail={"key": account[-12:]}
                )
