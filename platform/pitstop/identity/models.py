"""People, their memberships in tenants, roles, API keys and login sessions.

A user is a person and is platform-level (one person may work for two tenants); what they
may do lives in the tenant-owned membership: one role and a store scope. Because a person
is shared, a tenant may name an identity or give it its first password only while it owns
it (``owner_tenant_id``); see docs/security/identity.md.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import Base, JSONDoc, TenantModel, Timestamps, new_id, tenant_fk, utcnow
from pitstop.tenancy.models import ManagedBy, managed_by_column


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """The tenant that created this identity and alone may name it or set its first
    password; None once a second tenant's membership was accepted, or for operators.
    No foreign key: tenants are suspended, never deleted, and an id naming no tenant
    owns nothing."""
    credentials_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counts password changes; a token carries the epoch it was issued in."""
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    """The console language the person chose (null: the default); it follows them."""

    def replace_password(self, password_hash: str) -> None:
        """Every password change ends the sessions opened with the old password."""
        self.password_hash = password_hash
        self.credentials_epoch = (self.credentials_epoch or 0) + 1


class LoginFailure(Base):
    """Failed logins, counted per (tenant, email) and per client address for lock-outs.

    Platform-level because an attempt against an unknown tenant has no tenant to belong to;
    keys are hashes, so no e-mail address is stored here.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Role(Timestamps, TenantModel):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200), default="")
    permissions: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    store_scoped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Its people work at named stores: hired with at least one, and with none they see no
    store's records (see docs/security/administration.md)."""
    managed_by: Mapped[ManagedBy] = managed_by_column()


class Membership(Timestamps, TenantModel):
    """A user's job at a tenant; ``store_ids`` None means every store of the tenant.

    A membership of an identity the tenant does not own starts ``pending``: it cannot sign
    in or act until the person accepts it with their own password and the tenant's invite.
    ``display_name`` is what the tenant calls the person, so hiring renames nobody.
    """

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(63))
    store_ids: Mapped[list[str] | None] = mapped_column(JSONDoc, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counts deactivations; a token carries the epoch it was issued in, so reactivating
    a person does not revive tokens issued before they were let go."""
    managed_by: Mapped[ManagedBy] = managed_by_column()

    @property
    def can_act(self) -> bool:
        return self.active and not self.pending

    def still_signs_in(self, user_id: uuid.UUID, epoch: int) -> bool:
        """Whether a token or session issued for this membership at ``epoch`` still holds."""
        return self.can_act and self.user_id == user_id and self.epoch == epoch

    def set_active(self, active: bool) -> None:
        if self.active and not active:
            self.epoch = (self.epoch or 0) + 1
        self.active = active


class ApiKey(Timestamps, TenantModel):
    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "prefix"),
        tenant_fk(["created_by"], "memberships"),
    )

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(128))
    permissions: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class InviteToken(TenantModel):
    """One-time set-password token; only its hash is stored."""

    __tablename__ = "invite_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        tenant_fk(["membership_id"], "memberships", ondelete="CASCADE"),
    )

    membership_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    token_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class RefreshToken(Base):
    """One link of a login session's chain of refresh tokens; only its hash is stored.

    Platform-level and keyed by user, like ``users``: a platform operator has sessions too,
    and a password change ends a person's sessions in every tenant. ``family_id`` names the
    session (it is the access token's ``sid``); each refresh spends one link and adds the
    next. The epochs are those the session was opened under: once the password changes or
    the membership is deactivated they no longer match, and the session is over.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(128))
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    """None for a platform operator's session. No foreign key, as ``owner_tenant_id``."""
    membership_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    credentials_epoch: Mapped[int] = mapped_column(Integer, default=0)
    membership_epoch: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
