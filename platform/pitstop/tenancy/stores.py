"""Opening, changing and closing a tenant's stores, as the API does it.

Hours and holidays are stored in the canonical forms manifests store
(``tenancy.hours``), so the API and ``pitstop tenants apply`` never disagree about a
store, and ``plan`` shows no change after an API edit that meant the same thing.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.tenancy.hours import (
    HoursInvalid,
    format_holidays,
    format_weekly_hours,
    parse_holidays,
    parse_weekly_hours,
)
from pitstop.tenancy.models import Store, Tenant
from pitstop.tenancy.schemas import StoreCreate, StorePatch
from pitstop.tenancy.types import checked_zone


def canonical_hours(hours: dict[str, str] | None, holidays: list[str] | None) -> dict[str, Any]:
    """The same canonical forms manifests store, so API and manifests never disagree."""
    out: dict[str, Any] = {}
    try:
        if hours is not None:
            out["hours"] = format_weekly_hours(parse_weekly_hours(hours))
        if holidays is not None:
            out["holidays"] = format_holidays(parse_holidays(holidays))
    except HoursInvalid as exc:
        raise Unprocessable.field(exc.key, exc.message) from None
    return out


async def open_store(session: AsyncSession, data: StoreCreate) -> Store:
    """A new store in the tenant's time zone unless it names its own; 409 on a taken code."""
    existing = await session.scalar(select(Store.id).where(Store.code == data.code))
    if existing is not None:
        raise Conflict(f"store {data.code} exists", code="duplicate_store", id=str(existing))
    tenant = await session.get(Tenant, current_tenant_id())
    zone = checked_zone(data.timezone or (tenant.timezone if tenant else "Asia/Shanghai"))
    store = Store(
        code=data.code,
        name=data.name,
        city=data.city,
        region=data.region,
        timezone=zone,
        active=True,
        **canonical_hours(data.hours, data.holidays),
    )
    session.add(store)
    await session.flush()
    await record(
        session,
        "store.created",
        resource="store",
        resource_id=store.id,
        detail={"code": store.code},
    )
    return store


async def change_store(session: AsyncSession, store_id: uuid.UUID, data: StorePatch) -> Store:
    """Set what differs; ``active: false`` closes the store (its history stays)."""
    store = (await session.scalars(select(Store).where(Store.id == store_id))).one_or_none()
    if store is None:
        raise NotFound("no such store")
    values: dict[str, Any] = {
        k: v
        for k, v in msgspec.structs.asdict(data).items()
        if v is not None and k not in ("hours", "holidays")
    }
    if data.timezone is not None:
        values["timezone"] = checked_zone(data.timezone)
    values.update(canonical_hours(data.hours, data.holidays))
    changed = sorted(k for k, v in values.items() if getattr(store, k) != v)
    for key in changed:
        setattr(store, key, values[key])
    await session.flush()
    if changed:
        await _audit_store_change(session, store, changed)
    return store


async def _audit_store_change(session: AsyncSession, store: Store, fields: list[str]) -> None:
    """Field names only: a store's values are not personal, but the log names, never copies.
    Closing a store is its own action (``store.deactivated``), as a manifest records it."""
    closed = "active" in fields and not store.active
    await record(
        session,
        "store.deactivated" if closed else "store.changed",
        resource="store",
        resource_id=store.id,
        detail={"code": store.code, "fields": fields},
    )
