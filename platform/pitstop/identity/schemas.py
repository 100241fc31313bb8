"""Request and response shapes of the identity API (msgspec: strict, fast, documented)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from pitstop.access.masking import Sensitive
from pitstop.identity.models import ApiKey, Membership, Role, User
from pitstop.inputs import ShortText

Email = Annotated[
    str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
RoleName = Annotated[str, msgspec.Meta(min_length=2, max_length=63, pattern=r"^[a-z][a-z0-9_]*$")]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    tenant: str | None = None


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: int
    """Seconds the access token lives (``PITSTOP_TOKEN_TTL_SECONDS``)."""
    refresh_token: str
    """``psr_...``: exchange it at ``/auth/refresh`` for a new pair; it works once."""
    refresh_expires_in: int
    """Seconds the refresh token lives unused (``PITSTOP_REFRESH_TTL_SECONDS``)."""
    token_type: str = "bearer"


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SetPasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    tenant: str
    token: str
    password: Password


class AcceptRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Join a tenant that hired an existing identity: its own password plus the invite."""

    tenant: str
    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What logging in takes (``tenant`` None for a platform operator), plus the new one."""

    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    new_password: Password
    tenant: str | None = None


class StaffOut(msgspec.Struct):
    id: uuid.UUID
    email: Sensitive
    name: Sensitive
    role: str
    stores: list[uuid.UUID] | None
    active: bool
    has_password: bool
    pending: bool
    """Hired, but the person has not yet accepted with their own password and the invite."""
    managed_by: str
    """``manifest``: a tenant manifest manages this membership (see ``pitstop tenants``)."""


class StaffCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    name: ShortText
    role: RoleName
    stores: list[uuid.UUID] | None = None


class StaffPatch(msgspec.Struct, forbid_unknown_fields=True):
    role: RoleName | None = None
    stores: list[uuid.UUID] | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | None = None


class InviteOut(msgspec.Struct):
    token: str | None
    """The one-time token - or null when it went to the person through the tenant's staff
    channel (``sent_by``): then it is in nobody's API response or log."""
    expires_at: dt.datetime
    purpose: Literal["set_password", "accept"]
    """Redeem at ``/auth/set-password`` (a first password) or ``/auth/accept``."""
    sent_by: str | None = None
    """The channel delivering the token (``webhook``, ...); null: shown here instead."""


class RoleOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    title: str
    permissions: list[str]
    builtin: bool
    store_scoped: bool
    managed_by: str


class RoleCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: RoleName
    permissions: list[str]
    store_scoped: bool
    """Required: do this role's people work at named stores? Then each needs at least one,
    and one without any sees no store's records."""
    title: str = ""


class RolePatch(msgspec.Struct, forbid_unknown_fields=True):
    permissions: list[str] | None = None
    title: str | None = None
    store_scoped: bool | None = None


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    permissions: list[str]


class ApiKeyOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    prefix: str
    permissions: list[str]
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = ""


def staff_out(membership: Membership, user: User) -> StaffOut:
    """The person as this tenant knows them: its display name, and nothing of the identity's
    own state (name, password) until they have accepted the membership."""
    return StaffOut(
        id=membership.id,
        email=Sensitive(user.email, "email"),
        name=Sensitive(membership.display_name or user.name, "name"),
        role=membership.role,
        stores=None
        if membership.store_ids is None
        else [uuid.UUID(s) for s in membership.store_ids],
        active=membership.active,
        has_password=not membership.pending and user.password_hash is not None,
        pending=membership.pending,
        managed_by=membership.managed_by.value,
    )


def role_out(role: Role) -> RoleOut:
    return RoleOut(
        role.id,
        role.name,
        role.title,
        sorted(role.permissions),
        role.builtin,
        role.store_scoped,
        role.managed_by.value,
    )


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        key.id,
        key.name,
        key.prefix,
        sorted(key.permissions),
        key.created_at,
        key.revoked_at,
        key.last_used_at,
    )
