"""Custom roles at the console: define one, and change its title, store scope and
permissions.

The forms are the twins of ``POST /api/v1/roles`` and ``PATCH /api/v1/roles/{id}`` and call
their service, ``identity.roles``: the same check (only permissions someone declared), the
same ``role.changed`` audit entry with the resulting set, built-in roles read-only (they
follow the permission table), and roles defined only from HQ (a role is the whole
tenant's). A refused post saves nothing and names the field in the reader's language.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.access.principal import Principal
from pitstop.console.forms import FormErrors, convert, errors_of
from pitstop.console.view import Desk, shown
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.identity import roles as service
from pitstop.identity.models import Role
from pitstop.identity.schemas import RoleCreate, RolePatch, role_out


def typed_of(form: Any) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")).strip(),
        "title": str(form.get("title", "")).strip(),
        "store_scoped": bool(form.get("store_scoped")),
        "permissions": [str(p) for p in form.getall("permissions", [])],
    }


class RolePages(Controller):
    path = "/hq/roles"
    opt = {"permission": "roles:manage"}

    @get("/new")
    async def new(
        self, desk: NamedDependency[Desk], permissions: NamedDependency[PermissionTable]
    ) -> Template:
        return _role_page(desk, permissions, None)

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        permissions: NamedDependency[PermissionTable],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        """As ``POST /api/v1/roles``."""
        typed = typed_of(await request.form())
        try:
            data = convert(typed, RoleCreate)
            async with session.begin_nested():
                role = await service.create_role(session, permissions, principal, data)
        except FormErrors as exc:
            return _role_page(desk, permissions, None, exc.errors, typed, 422)
        except Conflict:
            errors = {"name": "a role with this name exists"}
            return _role_page(desk, permissions, None, errors, typed, 409)
        except Unprocessable as exc:
            return _role_page(desk, permissions, None, errors_of(exc), typed, 422)
        return Redirect(f"/console/hq/roles/{role.id}?saved=1", status_code=303)

    @get("/{role_id:uuid}")
    async def role(
        self,
        role_id: FromPath[uuid.UUID],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        permissions: NamedDependency[PermissionTable],
        saved: FromQuery[bool] = False,
    ) -> Template:
        role = await _role(session, role_id)
        return _role_page(desk, permissions, role, saved=saved)

    @post("/{role_id:uuid}")
    async def change(
        self,
        role_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        permissions: NamedDependency[PermissionTable],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        """As ``PATCH /api/v1/roles/{id}``: the form holds the whole role, so it is sent
        whole (an unticked permission is taken away)."""
        role = await _role(session, role_id)
        typed = typed_of(await request.form()) | {"name": role.name}
        patch = {k: typed[k] for k in ("title", "store_scoped", "permissions")}
        try:
            async with session.begin_nested():
                await service.change_role(session, permissions, principal, role, RolePatch(**patch))
        except (Conflict, Unprocessable) as exc:
            await session.refresh(role)
            return _role_page(desk, permissions, role, errors_of(exc), typed, exc.status)
        return Redirect(f"/console/hq/roles/{role.id}?saved=1", status_code=303)


async def _role(session: AsyncSession, role_id: uuid.UUID) -> Role:
    role = (await session.scalars(select(Role).where(Role.id == role_id))).one_or_none()
    if role is None:
        raise NotFound("no such role")
    return role


def _role_page(
    desk: Desk,
    table: PermissionTable,
    role: Role | None,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
    *,
    saved: bool = False,
) -> Template:
    """One role's form (a new one when ``role`` is None); a built-in one read-only."""
    out = shown(role_out(role)) if role is not None else None
    current = (
        {k: out[k] for k in ("name", "title", "store_scoped", "permissions")}
        if out is not None
        else {"name": "", "title": "", "store_scoped": False, "permissions": []}
    )
    return desk.page(
        "role.html", status, role=out, typed=typed or current, errors=errors or {},
        saved=saved, permissions=table.names(),
    )  # fmt: skip
