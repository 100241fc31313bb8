"""Signed links: a plugin's public page for one customer, with no login (a survey link).

A link names its plugin, its purpose (the route's ``opt={"link": purpose}``), the tenant,
one subject (the survey's id) and when it expires, signed with an HMAC of the deployment's
secret key (a key derived for links only: a link can never pass for a session token).
The edge verifies the signature before anything else and derives the tenant from the link
alone, so a visitor cannot name another tenant, another plugin or another purpose; a bad,
altered or foreign link is a 404 that says nothing more; a genuine link past its expiry is a
410, so the customer's page can say "expired" (only whoever holds a link we signed learns it).
What a link is *for* - used once, still open - the plugin decides (docs/plugins.md, "Public
links").
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.models import AuditEntry
from pitstop.access.principal import Principal
from pitstop.errors import ApiError, NotFound, TooManyRequests

OPENS_PER_HOUR = 20
"""How often one link may be opened (page views and answers together) in an hour."""
LINK_KIND = "link"
"""``Principal.kind`` on a link route: no permissions, the tenant and subject of the link."""


@dataclass(frozen=True)
class Link:
    plugin: str
    purpose: str
    tenant_id: uuid.UUID
    subject_id: uuid.UUID
    expires_at: dt.datetime

    @property
    def role(self) -> str:
        return f"{self.plugin}:{self.purpose}"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"pitstop signed links v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, link: Link) -> str:
    payload = json.dumps(
        [link.plugin, link.purpose, link.tenant_id.hex, link.subject_id.hex,
         int(link.expires_at.timestamp())],
        separators=(",", ":"),
    ).encode()  # fmt: skip
    mac = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def _signed(secret: str, token: str) -> Link | None:
    """The link ``token`` carries, expired or not; None when malformed or altered."""
    try:
        body, _, mac = token.partition(".")
        payload = _unb64(body)
        if not hmac.compare_digest(
            _unb64(mac), hmac.new(_key(secret), payload, hashlib.sha256).digest()
        ):
            return None
        plugin, purpose, tenant, subject, expires = json.loads(payload)
        link = Link(
            str(plugin), str(purpose), uuid.UUID(hex=tenant), uuid.UUID(hex=subject),
            dt.datetime.fromtimestamp(int(expires), dt.UTC),
        )  # fmt: skip
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return link


def link_principal(
    secret: str, token: str, now: dt.datetime, plugin: str, purpose: str
) -> Principal:
    """The principal of a link route: the link's tenant and subject, no permissions; 404
    for a link that is bad or for another plugin's or purpose's route, 410 once expired."""
    link = _signed(secret, token)
    if link is None or (link.plugin, link.purpose) != (plugin, purpose):
        raise NotFound("no such link", code="link_invalid")
    if link.expires_at <= now:
        raise ApiError("this link has expired", status=410, code="link_expired")
    return Principal(LINK_KIND, link.subject_id, link.tenant_id, link.role, frozenset())


async def count_link_use(session: AsyncSession, subject_id: uuid.UUID, now: dt.datetime) -> None:
    """Rate-limit one link: 429 past :data:`OPENS_PER_HOUR` in the last hour, else audit
    this opening as ``link.opened`` (the audit log is the counter, as for searches)."""
    since = now - dt.timedelta(hours=1)
    opened = await session.scalar(
        select(func.count()).where(
            AuditEntry.action == "link.opened",
            AuditEntry.resource_id == str(subject_id),
            AuditEntry.at >= since,
        )
    )
    if (opened or 0) >= OPENS_PER_HOUR:
        raise TooManyRequests(
            f"this link was opened {OPENS_PER_HOUR} times in the last hour",
            code="link_limited",
            headers={"Retry-After": "3600"},
            retry_after=3600,
        )
    await record(session, "link.opened", resource="link", resource_id=subject_id, at=now)
