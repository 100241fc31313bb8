"""HTTP API of roles: the built-in templates and the tenant's custom roles."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.access.principal import Principal
from pitstop.errors import NotFound
from pitstop.identity import roles as service
from pitstop.identity.models import Role
from pitstop.identity.schemas import RoleCreate, RoleOut, RolePatch, role_out
from pitstop.pagination import Page


class RolesController(Controller):
    path = "/roles"
    tags = ["roles"]
    opt = {"permission": "roles:manage"}

    @get("/")
    async def list_roles(self, session: NamedDependency[AsyncSession]) -> Page[RoleOut]:
        roles = (await session.scalars(select(Role).order_by(Role.name))).all()
        return Page(items=[role_out(r) for r in roles], next=None)

    @post("/", status_code=201)
    async def create(
        self,
        data: JSONBody[RoleCreate],
        session: NamedDependency[AsyncSession],
        permissions: NamedDependency[PermissionTable],
        principal: NamedDependency[Principal],
    ) -> RoleOut:
        return role_out(await service.create_role(session, permissions, principal, data))

    @patch("/{role_id:uuid}")
    async def change(
        self,
        role_id: FromPath[uuid.UUID],
        data: JSONBody[RolePatch],
        session: NamedDependency[AsyncSession],
        permissions: NamedDependency[PermissionTable],
        principal: NamedDependency[Principal],
    ) -> RoleOut:
        role = (await session.scalars(select(Role).where(Role.id == role_id))).one_or_none()
        if role is None:
            raise NotFound("no such role")
        await service.change_role(session, permissions, principal, role, data)
        return role_out(role)
