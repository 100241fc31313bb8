"""The platform operator's tenants: open one with its built-in roles, suspend, resume.

The operator has no tenant of its own: each change is written into the log of the tenant
it concerns, with actor kind ``platform``, where that tenant's HQ reads it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.permissions import PermissionTable
from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import Conflict, NotFound
from pitstop.identity.staff import sync_builtin_roles
from pitstop.provisioning.schemas import TenantCreate
from pitstop.tenancy.models import Tenant, TenantStatus
from pitstop.tenancy.types import checked_zone


async def open_tenant(
    session: AsyncSession, data: TenantCreate, permissions: PermissionTable
) -> Tenant:
    """A new tenant with every built-in role, as the permission table defines them now."""
    checked_zone(data.timezone)
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
        roles = await sync_builtin_roles(session, permissions)
        await session.flush()
        detail = {"slug": tenant.slug, "kind": tenant.kind.value, "roles": len(roles)}
        await record(
            session, "tenant.created", resource="tenant", resource_id=tenant.id, detail=detail
        )
    return tenant


async def set_status(session: AsyncSession, slug: str, status: TenantStatus, action: str) -> Tenant:
    """A request that changes nothing (already suspended) writes nothing."""
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == slug))).first()
    if tenant is None:
        raise NotFound("no such tenant")
    if tenant.status != status:
        tenant.status = status
        with tenant_scope(tenant.id):
            await record(session, action, resource="tenant", resource_id=tenant.id)
    return tenant
