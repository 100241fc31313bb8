"""Tenants, their stores and their plugin switches.

``tenants`` is the one platform-level table: it is the isolation boundary itself, read by
the edge to resolve a slug, so it is not a ``TenantModel``. Stores and plugin rows are.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import Boolean, Enum, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import Base, JSONDoc, TenantModel, Timestamps, new_id


class TenantKind(enum.StrEnum):
    chain = "chain"
    shop = "shop"


class TenantStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"


class RegionClass(enum.StrEnum):
    urban = "urban"
    county = "county"
    township = "township"


class ManagedBy(enum.StrEnum):
    """Who may change a store, staff membership or role: Terraform's rule for manifests.

    ``manifest`` rows were created or adopted by a tenant manifest, which alone changes and
    deactivates them; ``api`` rows (the default for any other path) are never touched by
    ``pitstop tenants apply`` until ``pitstop tenants adopt`` hands them over.
    """

    api = "api"
    manifest = "manifest"


def managed_by_column() -> Mapped[ManagedBy]:
    return mapped_column(
        _enum(ManagedBy, "managed_by"), default=ManagedBy.api, server_default=ManagedBy.api.value
    )


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store enums as plain strings checked by the app: adding a value needs no DDL dance."""
    return Enum(cls, name=name, native_enum=False, validate_strings=True, length=32)


class Tenant(Timestamps, Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TenantKind] = mapped_column(_enum(TenantKind, "tenant_kind"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[TenantStatus] = mapped_column(
        _enum(TenantStatus, "tenant_status"), default=TenantStatus.active
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class Store(Timestamps, TenantModel):
    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[RegionClass] = mapped_column(_enum(RegionClass, "region_class"))
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)
    holidays: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    managed_by: Mapped[ManagedBy] = managed_by_column()


class TenantPlugin(Timestamps, TenantModel):
    """Whether a plugin is on for a tenant, and its validated settings."""

    __tablename__ = "tenant_plugins"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    plugin: Mapped[str] = mapped_column(String(63))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
