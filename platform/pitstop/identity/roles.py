"""Custom roles: a tenant's own sets of permissions, beside the built-in templates.

Built-in roles follow the permission table (``staff.sync_builtin_roles``) and cannot be
edited here; a custom role may hold only permissions someone declared, the core's or an
installed plugin's. Every change is audited with the resulting permission set.

The API (``/api/v1/roles``) and the console's role forms both call these functions. A role
is the whole tenant's, so only a principal of every store may define one: a store-scoped
holder of ``roles:manage`` (a custom role) would otherwise widen people outside its stores.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.permissions import PermissionTable
from pitstop.access.principal import Principal
from pitstop.errors import Conflict, Forbidden, Unprocessable
from pitstop.identity.models import Role
from pitstop.identity.schemas import RoleCreate, RolePatch


def checked_permissions(table: PermissionTable, permissions: list[str]) -> list[str]:
    """The permissions sorted and without repeats; 422 naming each one nobody declares."""
    unknown = table.unknown(permissions)
    if unknown:
        raise Unprocessable(
            f"permissions: unknown {', '.join(unknown)}",
            errors=[
                {"field": "permissions", "message": f"unknown permission {u}"} for u in unknown
            ],
        )
    return sorted(set(permissions))


def _tenant_wide(principal: Principal) -> None:
    if principal.store_ids is not None:
        raise Forbidden("roles are the whole tenant's: define them from HQ", code="store_scoped")


async def create_role(
    session: AsyncSession, table: PermissionTable, principal: Principal, data: RoleCreate
) -> Role:
    _tenant_wide(principal)
    permissions = checked_permissions(table, data.permissions)
    if (await session.scalars(select(Role).where(Role.name == data.name))).first():
        raise Conflict(f"a role named {data.name} exists", code="duplicate_role")
    role = Role(
        name=data.name,
        title=data.title or data.name,
        permissions=permissions,
        store_scoped=data.store_scoped,
    )
    session.add(role)
    await session.flush()
    await record(
        session,
        "role.changed",
        resource="role",
        resource_id=role.id,
        detail={
            "change": "created",
            "permissions": permissions,
            "store_scoped": data.store_scoped,
        },
    )
    return role


async def change_role(
    session: AsyncSession, table: PermissionTable, principal: Principal, role: Role, data: RolePatch
) -> None:
    _tenant_wide(principal)
    if role.builtin:
        raise Conflict("built-in roles follow the permission table", code="builtin_role")
    if data.permissions is not None:
        role.permissions = checked_permissions(table, data.permissions)
    if data.title is not None:
        role.title = data.title
    if data.store_scoped is not None:
        # Its people without a store then see none: store scope fails closed.
        role.store_scoped = data.store_scoped
    await record(
        session,
        "role.changed",
        resource="role",
        resource_id=role.id,
        detail={
            "change": "updated",
            "permissions": sorted(role.permissions),
            "store_scoped": role.store_scoped,
        },
    )
