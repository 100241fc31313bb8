"""Signed access tokens (JWT, HS256 with the deployment's secret key).

A token names the user, tenant and membership; the role and store scope it carries are a
snapshot for clients. The edge re-reads the membership on every request, so a role change
or deactivation takes effect at once rather than when the token expires. It also carries
the user's credentials epoch and the membership's epoch: a password change or a
deactivation moves them on, so tokens issued before stay dead even if the person is
reactivated (see docs/security/identity.md). ``sid`` names the login session, which logging
out ends (see identity/refresh.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt

if TYPE_CHECKING:
    from pitstop.identity.models import Membership

ALGORITHM = "HS256"
AUDIENCE = "pitstop-api"


class TokenInvalid(Exception):
    """The token is malformed, tampered with or expired."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None
    membership_id: uuid.UUID | None
    role: str | None
    stores: list[str] | None
    platform: bool = False
    credentials_epoch: int = 0
    membership_epoch: int = 0
    session_id: uuid.UUID | None = None
    """The login session (refresh-token family) this token belongs to: logging out, or
    reusing a spent refresh token, ends every access token of the session at once."""


def membership_claims(
    user_id: uuid.UUID, membership: Membership, credentials_epoch: int
) -> TokenClaims:
    """The claims of a staff member's token."""
    return TokenClaims(
        user_id,
        membership.tenant_id,
        membership.id,
        membership.role,
        membership.store_ids,
        credentials_epoch=credentials_epoch,
        membership_epoch=membership.epoch,
    )


def issue_token(claims: TokenClaims, secret: str, now: dt.datetime, ttl_seconds: int) -> str:
    payload = {
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id) if claims.tenant_id else None,
        "mid": str(claims.membership_id) if claims.membership_id else None,
        "role": claims.role,
        "stores": claims.stores,
        "platform": claims.platform,
        "cep": claims.credentials_epoch,
        "mep": claims.membership_epoch,
        "sid": str(claims.session_id) if claims.session_id else None,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl_seconds,
        "aud": AUDIENCE,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str, now: dt.datetime) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            # Time is judged against the injected clock below, not PyJWT's wall clock.
            options={"require": ["sub", "exp", "iat"], "verify_exp": False, "verify_iat": False},
        )
        if int(payload["exp"]) <= now.timestamp():
            raise TokenInvalid("token expired")
        return TokenClaims(
            user_id=uuid.UUID(payload["sub"]),
            tenant_id=uuid.UUID(payload["tid"]) if payload.get("tid") else None,
            membership_id=uuid.UUID(payload["mid"]) if payload.get("mid") else None,
            role=payload.get("role"),
            stores=payload.get("stores"),
            platform=bool(payload.get("platform")),
            credentials_epoch=int(payload.get("cep") or 0),
            membership_epoch=int(payload.get("mep") or 0),
            session_id=uuid.UUID(payload["sid"]) if payload.get("sid") else None,
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise TokenInvalid(str(exc)) from None
