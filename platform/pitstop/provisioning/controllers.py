"""HTTP API of the platform operator: the tenant list, opening, suspending and resuming.

The operator provisions and suspends tenants; it never sees their customers (every route
here is ``platform``-only, and every tenant route refuses a platform principal).
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.pagination import Page
from pitstop.provisioning import tenants as service
from pitstop.provisioning.schemas import TenantCreate, TenantOut, tenant_out
from pitstop.tenancy.models import Tenant, TenantStatus


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
        permissions: NamedDependency[PermissionTable],
    ) -> TenantOut:
        return tenant_out(await service.open_tenant(session, data, permissions))

    @post("/{slug:str}/suspend", status_code=200)
    async def suspend(
        self, slug: FromPath[str], session: NamedDependency[AsyncSession]
    ) -> TenantOut:
        tenant = await service.set_status(session, slug, TenantStatus.suspended, "tenant.suspended")
        return tenant_out(tenant)

    @post("/{slug:str}/resume", status_code=200)
    async def resume(
        self, slug: FromPath[str], session: NamedDependency[AsyncSession]
    ) -> TenantOut:
        tenant = await service.set_status(session, slug, TenantStatus.active, "tenant.resumed")
        return tenant_out(tenant)
