"""The declarative base, ``TenantModel`` and the column types every table shares.

Every tenant-owned table is keyed ``(tenant_id, id)`` and references other tenant tables
through composite foreign keys ``(tenant_id, x_id)``: a row of tenant A can then never
point at a row of tenant B, and every table is distributable by ``tenant_id`` (Citus
requires the distribution column in every primary key, unique constraint and foreign key).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    MetaData,
    Table,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from uuid_utils.compat import uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """UUIDv7: time-ordered, so keyset pagination by id is also roughly by creation."""
    return uuid7()


JSONDoc = JSON().with_variant(JSONB(), "postgresql")
"""JSON documents: JSONB on PostgreSQL (indexable), JSON text on SQLite."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


Clock = Callable[[], dt.datetime]
"""What tells the time: ``utcnow`` in production, a settable clock in tests, so token
expiry, lock-outs and SLA timers are tested without sleeping. Services take ``now`` or a
``Clock``; the assembly provides one as the ``clock`` dependency."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on every backend (SQLite stores none, so we restore it on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored: Pitstop keeps timezone-aware UTC only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, uuid.UUID: Uuid}


class TenantModel(Base):
    """Base of every tenant-owned table; the ORM and database walls key off this class."""

    __abstract__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True, sort_order=-2
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id, sort_order=-1)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def tenant_fk(
    columns: Sequence[str], table: str, *, ondelete: str | None = None
) -> ForeignKeyConstraint:
    """A composite foreign key that includes ``tenant_id``: cross-tenant references fail."""
    return ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{table}.tenant_id", f"{table}.id"],
        ondelete=ondelete,
    )


def tenant_tables() -> list[Table]:
    """Every table of a ``TenantModel`` subclass known to the metadata (tests enumerate it)."""
    tables: dict[str, Table] = {
        mapper.local_table.name: mapper.local_table  # type: ignore[attr-defined,misc]
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantModel)
    }
    return [tables[name] for name in sorted(tables)]
