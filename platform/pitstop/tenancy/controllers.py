"""HTTP API of tenancy: the tenant's stores, and the platform operator's tenant list."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.identity.staff import sync_builtin_roles
from pitstop.inputs import CityName, ShortText
from pitstop.pagination import Page
from pitstop.runtime import Runtime
from pitstop.tenancy.context import current_tenant_id, tenant_scope
from pitstop.tenancy.hours import (
    HoursInvalid,
    format_holidays,
    format_weekly_hours,
    parse_holidays,
    parse_weekly_hours,
)
from pitstop.tenancy.models import RegionClass, Store, Tenant, TenantKind, TenantStatus
from pitstop.tenancy.types import (
    CurrencyCode,
    DisplayName,
    Slug,
    StoreCode,
    TimeZoneName,
    zone_problem,
)


class StoreOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    city: str
    region: str
    timezone: str
    hours: dict[str, str]
    holidays: list[str]
    active: bool
    managed_by: str
    """``manifest``: a tenant manifest manages this store; ``apply`` reverts API edits to it."""


class StoreCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: StoreCode
    name: ShortText
    city: CityName
    region: RegionClass = RegionClass.urban
    timezone: TimeZoneName | None = None
    hours: dict[str, str] = msgspec.field(default_factory=dict)
    holidays: list[str] = msgspec.field(default_factory=list)


class StorePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText | None = None
    city: CityName | None = None
    region: RegionClass | None = None
    timezone: str | None = None
    hours: dict[str, str] | None = None
    holidays: list[str] | None = None
    active: bool | None = None


def store_out(s: Store) -> StoreOut:
    return StoreOut(
        s.id,
        s.code,
        s.name,
        s.city,
        s.region,
        s.timezone,
        s.hours,
        s.holidays,
        s.active,
        s.managed_by.value,
    )


def _checked_zone(name: str) -> str:
    problem = zone_problem(name)
    if problem is not None:
        raise Unprocessable.field("timezone", problem)
    return name


def _canonical_hours(hours: dict[str, str] | None, holidays: list[str] | None) -> dict[str, Any]:
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


class StoresController(Controller):
    """Every staff member reads the stores; HQ (``stores:manage``) opens and changes them."""

    path = "/stores"
    tags = ["stores"]

    @get("/", opt={"permission": "stores:read"})
    async def list_stores(self, session: NamedDependency[AsyncSession]) -> Page[StoreOut]:
        """Every store of the tenant (a chain has hundreds, not millions: one page)."""
        stores = (await session.scalars(select(Store).order_by(Store.code))).all()
        return Page(items=[store_out(s) for s in stores], next=None)

    @post("/", status_code=201, opt={"permission": "stores:manage"})
    async def open_store(
        self, data: JSONBody[StoreCreate], session: NamedDependency[AsyncSession]
    ) -> StoreOut:
        existing = await session.scalar(select(Store.id).where(Store.code == data.code))
        if existing is not None:
            raise Conflict(f"store {data.code} exists", code="duplicate_store", id=str(existing))
        tenant = await session.get(Tenant, current_tenant_id())
        zone = _checked_zone(data.timezone or (tenant.timezone if tenant else "Asia/Shanghai"))
        store = Store(
            code=data.code,
            name=data.name,
            city=data.city,
            region=data.region,
            timezone=zone,
            active=True,
            **_canonical_hours(data.hours, data.holidays),
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
        return store_out(store)

    @patch("/{store_id:uuid}", opt={"permission": "stores:manage"})
    async def change_store(
        self,
        store_id: FromPath[uuid.UUID],
        data: JSONBody[StorePatch],
        session: NamedDependency[AsyncSession],
    ) -> StoreOut:
        """``active: false`` closes a store: its history stays, new orders are refused."""
        store = (await session.scalars(select(Store).where(Store.id == store_id))).one_or_none()
        if store is None:
            raise NotFound("no such store")
        values: dict[str, Any] = {
            k: v
            for k, v in msgspec.structs.asdict(data).items()
            if v is not None and k not in ("hours", "holidays")
        }
        if data.timezone is not None:
            values["timezone"] = _checked_zone(data.timezone)
        values.update(_canonical_hours(data.hours, data.holidays))
        changed = sorted(k for k, v in values.items() if getattr(store, k) != v)
        for key in changed:
            setattr(store, key, values[key])
        await session.flush()
        if changed:
            await _audit_store_change(session, store, changed)
        return store_out(store)


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


class TenantOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    status: str
    timezone: str
    currency: str


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: DisplayName
    kind: TenantKind
    timezone: TimeZoneName = "Asia/Shanghai"
    currency: CurrencyCode = "CNY"


def tenant_out(t: Tenant) -> TenantOut:
    return TenantOut(t.id, t.slug, t.name, t.kind, t.status, t.timezone, t.currency)


class PlatformTenantsController(Controller):
    """The operator provisions and suspends tenants; it never sees their customers."""

    path = "/platform/tenants"
    tags = ["platform"]
    opt = {"platform": True}

    @get("/")
    async def list_tenants(self, session: NamedDependency[AsyncSession]) -> Page[TenantOut]:
        tenants = (await session.scalars(select(Tenant).order_by(Tenant.slug))).all()
        return Page(items=[tenant_out(t) for t in tenants], next=None)

    @post("/", status_code=201)
    async def create(
        self,
        data: JSONBody[TenantCreate],
        session: NamedDependency[AsyncSession],
        runtime: NamedDependency[Runtime],
    ) -> TenantOut:
        _checked_zone(data.timezone)
        if (await session.scalars(select(Tenant).where(Tenant.slug == data.slug))).first():
            raise Conflict(f"tenant {data.slug} exists", code="duplicate_tenant")
        tenant = Tenant(
            slug=data.slug,
            name=data.name,
            kind=data.kind,
            timezone=data.timezone,
            currency=data.currency,
            settings={},
        )
        session.add(tenant)
        await session.flush()
        with tenant_scope(tenant.id):
            roles = await sync_builtin_roles(session, runtime.permissions)
            await session.flush()
            detail = {"slug": tenant.slug, "kind": tenant.kind.value, "roles": len(roles)}
            await record(
                session, "tenant.created", resource="tenant", resource_id=tenant.id, detail=detail
            )
        return tenant_out(tenant)

    @post("/{slug:str}/suspend", status_code=200)
    async def suspend(
        self, slug: FromPath[str], session: NamedDependency[AsyncSession]
    ) -> TenantOut:
        return await _set_status(session, slug, TenantStatus.suspended, "tenant.suspended")

    @post("/{slug:str}/resume", status_code=200)
    async def resume(
        self, slug: FromPath[str], session: NamedDependency[AsyncSession]
    ) -> TenantOut:
        return await _set_status(session, slug, TenantStatus.active, "tenant.resumed")


async def _set_status(
    session: AsyncSession, slug: str, status: TenantStatus, action: str
) -> TenantOut:
    """The operator has no tenant of its own: the row goes into the log of the tenant it
    suspended or resumed, with actor kind ``platform``, where that tenant's HQ reads it.
    A request that changes nothing (already suspended) writes nothing."""
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == slug))).first()
    if tenant is None:
        raise NotFound("no such tenant")
    if tenant.status != status:
        tenant.status = status
        with tenant_scope(tenant.id):
            await record(session, action, resource="tenant", resource_id=tenant.id)
    return tenant_out(tenant)
