"""HTTP API of tenancy: the tenant's stores, and the platform operator's tenant list."""

from __future__ import annotations

import re
import uuid

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.identity.principal import Principal
from pitstop.identity.staff import sync_builtin_roles
from pitstop.pagination import Page
from pitstop.runtime import Runtime
from pitstop.tenancy.context import tenant_scope
from pitstop.tenancy.models import Store, Tenant, TenantKind, TenantStatus

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


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


class StoresController(Controller):
    path = "/stores"
    tags = ["stores"]
    opt = {"permission": "stores:read"}

    @get("/")
    async def list_stores(
        self, session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> Page[StoreOut]:
        """Every store of the tenant (a chain has hundreds, not millions: one page)."""
        stores = (await session.scalars(select(Store).order_by(Store.code))).all()
        return Page(
            items=[
                StoreOut(
                    s.id,
                    s.code,
                    s.name,
                    s.city,
                    s.region,
                    s.timezone,
                    s.hours,
                    s.holidays,
                    s.active,
                )
                for s in stores
            ],
            next=None,
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
    slug: str
    name: str
    kind: TenantKind
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"


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
        if not SLUG_RE.match(data.slug):
            raise Unprocessable.field("slug", "use lower-case letters, digits and dashes")
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
            await sync_builtin_roles(session, runtime.permissions)
            await session.flush()
        return tenant_out(tenant)

    @post("/{slug:str}/suspend", status_code=200)
    async def suspend(
        self, slug: FromPath[str], session: NamedDependency[AsyncSession]
    ) -> TenantOut:
        return await _set_status(session, slug, TenantStatus.suspended)

    @post("/{slug:str}/resume", status_code=200)
    async def resume(
        self, slug: FromPath[str], session: NamedDependency[AsyncSession]
    ) -> TenantOut:
        return await _set_status(session, slug, TenantStatus.active)


async def _set_status(session: AsyncSession, slug: str, status: TenantStatus) -> TenantOut:
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == slug))).first()
    if tenant is None:
        raise NotFound("no such tenant")
    tenant.status = status
    return tenant_out(tenant)
