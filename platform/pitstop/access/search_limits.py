"""Searching by personal data one sees masked: counted, limited and audited.

A search answers "is there a customer with this phone?". A technician who sees phones as
``+86 139****2002`` can ask that 10,000 times and read the four hidden digits back from
the one answer that is not empty. So a search that compares the query against a PII class
the searcher sees masked (phone, ID number, e-mail, plate, VIN, name: whatever the search
and the free-text detectors say it targets) is:

- **limited per searcher**: :data:`LIMITS` (30 a minute, 300 a day, sliding windows), one
  budget for every masked class; past it the answer is 429 ``search_limited`` with
  ``Retry-After`` (seconds until the oldest counted search leaves its window);
- **audited** as ``customer.search``: who, when, the classes, and an HMAC of the query with
  the deployment's secret key. An investigator holding the key can check whether a given
  phone was searched; nobody reading the log learns the query.

A role that sees every class a search targets in full learns nothing it could not read,
so its searches are neither counted nor audited: the audit log stays a list of the
searches that could de-mask, and the front desk's everyday look-ups cost nothing.

The audit log is the counter (its index on ``tenant_id, action, at`` serves the count): no
second table to keep in step, and the count uses the injected clock like everything else.
Counting then writing must not race: SQLite transactions begin IMMEDIATE (one writer at a
time); on PostgreSQL a transaction-scoped advisory lock per searcher serialises them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.models import AuditEntry
from pitstop.access.principal import Principal
from pitstop.errors import TooManyRequests

ACTION = "customer.search"
LIMITS = ((dt.timedelta(minutes=1), 30), (dt.timedelta(days=1), 300))
"""(window, searches allowed in it) for searches by a class the searcher sees masked."""


def query_hash(secret_key: str, query: str) -> str:
    """Keyed, so the log cannot be brute-forced without the key (a phone has few digits)."""
    message = f"{ACTION}\x00{query}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


async def _serialise(session: AsyncSession, actor_id: uuid.UUID) -> None:
    """Two concurrent searches of one searcher must not both see the count below the limit."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already runs one writing transaction at a time
    digest = hashlib.sha256(f"{ACTION}:{actor_id}".encode()).digest()
    await session.execute(
        select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True)))
    )


async def _retry_after(
    session: AsyncSession, actor_id: uuid.UUID, window: dt.timedelta, limit: int, now: dt.datetime
) -> int | None:
    """Seconds until the searcher is under ``limit`` in ``window`` again, None if already."""
    counted = (
        await session.scalars(
            select(AuditEntry.at)
            .where(
                AuditEntry.action == ACTION,
                AuditEntry.actor_id == actor_id,
                AuditEntry.at > now - window,
            )
            .order_by(AuditEntry.at.desc())
            .limit(limit)
        )
    ).all()
    if len(counted) < limit:
        return None
    oldest = counted[-1]
    return max(1, math.ceil((oldest + window - now).total_seconds()))


async def check_search(
    session: AsyncSession,
    principal: Principal,
    classes: Iterable[str],
    query: str,
    *,
    now: dt.datetime,
    secret_key: str,
) -> None:
    """Count and audit a search by classes the principal sees masked; 429 past the limits."""
    masked = sorted(set(classes) - principal.pii_full)
    if not masked:
        return
    await _serialise(session, principal.actor_id)
    for window, limit in LIMITS:
        wait = await _retry_after(session, principal.actor_id, window, limit, now)
        if wait is not None:
            raise TooManyRequests(
                f"at most {limit} searches per {_spoken(window)} by personal data your role "
                "sees masked",
                code="search_limited",
                headers={"Retry-After": str(wait)},
                retry_after=wait,
            )
    await record(
        session,
        ACTION,
        resource="customer",
        detail={"classes": masked, "query_hash": query_hash(secret_key, query)},
        at=now,
    )


def _spoken(window: dt.timedelta) -> str:
    return "day" if window >= dt.timedelta(days=1) else "minute"
