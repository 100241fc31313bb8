"""Integration API keys: created by staff, never stronger than their creator.

The secret is shown once, at creation; only an HMAC of it with the deployment's secret key
is stored (``authenticate.hash_api_secret``). A key may be given only permissions its
creator holds, and at every request it is cut back to what the creator may do then
(``authenticate``), so neither a grant nor a later demotion can be side-stepped.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.permissions import PermissionTable
from pitstop.access.principal import Principal
from pitstop.errors import Unprocessable
from pitstop.identity.authenticate import API_KEY_PREFIX, hash_api_secret
from pitstop.identity.models import ApiKey
from pitstop.identity.roles import checked_permissions
from pitstop.identity.schemas import ApiKeyCreate


async def create_key(
    session: AsyncSession,
    table: PermissionTable,
    creator: Principal,
    data: ApiKeyCreate,
    *,
    secret_key: str,
) -> tuple[ApiKey, str]:
    """The new key and its full credential ``psk_<prefix>_<secret>``, shown only now."""
    permissions = checked_permissions(table, data.permissions)
    beyond = sorted(set(permissions) - creator.permissions)
    if beyond:
        raise Unprocessable.field(
            "permissions",
            f"you cannot grant what you lack: {', '.join(beyond)}",
            code="permission_exceeds_creator",
        )
    if creator.kind != "user":
        raise Unprocessable.field("principal", "only staff can create API keys")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        name=data.name,
        prefix=prefix,
        secret_hash=hash_api_secret(secret, secret_key),
        permissions=permissions,
        created_by=creator.actor_id,
    )
    session.add(key)
    await session.flush()
    await record(
        session,
        "api_key.created",
        resource="api_key",
        resource_id=key.id,
        detail={"permissions": permissions},
    )
    return key, f"{API_KEY_PREFIX}{prefix}_{secret}"


async def revoke_key(session: AsyncSession, key: ApiKey, now: dt.datetime) -> None:
    """Revoking twice changes nothing and audits nothing the second time."""
    if key.revoked_at is None:
        key.revoked_at = now
        await record(session, "api_key.revoked", resource="api_key", resource_id=key.id)
