"""HTTP API for custom roles and integration API keys."""

from __future__ import annotations

import secrets
import uuid

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.identity.authenticate import API_KEY_PREFIX, hash_api_secret
from pitstop.identity.models import ApiKey, Role
from pitstop.identity.principal import Principal
from pitstop.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    RoleCreate,
    RoleOut,
    RolePatch,
)
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.runtime import Runtime


def role_out(role: Role) -> RoleOut:
    return RoleOut(
        role.id,
        role.name,
        role.title,
        sorted(role.permissions),
        role.builtin,
        role.store_scoped,
        role.managed_by.value,
    )


def _check_permissions(runtime: Runtime, permissions: list[str]) -> list[str]:
    unknown = runtime.permissions.unknown(permissions)
    if unknown:
        raise Unprocessable(
            f"permissions: unknown {', '.join(unknown)}",
            errors=[
                {"field": "permissions", "message": f"unknown permission {u}"} for u in unknown
            ],
        )
    return sorted(set(permissions))


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
        runtime: NamedDependency[Runtime],
    ) -> RoleOut:
        permissions = _check_permissions(runtime, data.permissions)
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
        return role_out(role)

    @patch("/{role_id:uuid}")
    async def change(
        self,
        role_id: FromPath[uuid.UUID],
        data: JSONBody[RolePatch],
        session: NamedDependency[AsyncSession],
        runtime: NamedDependency[Runtime],
    ) -> RoleOut:
        role = (await session.scalars(select(Role).where(Role.id == role_id))).one_or_none()
        if role is None:
            raise NotFound("no such role")
        if role.builtin:
            raise Conflict("built-in roles follow the permission table", code="builtin_role")
        if data.permissions is not None:
            role.permissions = _check_permissions(runtime, data.permissions)
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
        return role_out(role)


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        key.id,
        key.name,
        key.prefix,
        sorted(key.permissions),
        key.created_at,
        key.revoked_at,
        key.last_used_at,
    )


class ApiKeysController(Controller):
    path = "/api-keys"
    tags = ["api keys"]
    opt = {"permission": "api_keys:manage"}

    @get("/")
    async def list_keys(
        self,
        session: NamedDependency[AsyncSession],
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[ApiKeyOut]:
        rows = (await session.scalars(keyset(select(ApiKey), ApiKey.id, after, limit))).all()
        return page_of(rows, limit, [key_out(k) for k in rows], lambda k: k.id)

    @post("/", status_code=201)
    async def create(
        self,
        data: JSONBody[ApiKeyCreate],
        session: NamedDependency[AsyncSession],
        runtime: NamedDependency[Runtime],
        principal: NamedDependency[Principal],
    ) -> ApiKeyCreated:
        """The secret is returned once; a key may hold only permissions its creator has."""
        permissions = _check_permissions(runtime, data.permissions)
        beyond = sorted(set(permissions) - principal.permissions)
        if beyond:
            raise Unprocessable.field(
                "permissions",
                f"you cannot grant what you lack: {', '.join(beyond)}",
                code="permission_exceeds_creator",
            )
        if principal.kind != "user":
            raise Unprocessable.field("principal", "only staff can create API keys")
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        key = ApiKey(
            name=data.name,
            prefix=prefix,
            secret_hash=hash_api_secret(secret, runtime.settings.secret_key),
            permissions=permissions,
            created_by=principal.actor_id,
        )
        session.add(key)
        await session.flush()
        await record(
            session,
            "api_key.created",
            resource="api_key",
            resource_id=key.id,
            detail={"permissions": permissions},
        )
        out = key_out(key)
        return ApiKeyCreated(
            **{f: getattr(out, f) for f in out.__struct_fields__},
            key=f"{API_KEY_PREFIX}{prefix}_{secret}",
        )

    @delete("/{key_id:uuid}", status_code=204)
    async def revoke(
        self,
        key_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        runtime: NamedDependency[Runtime],
    ) -> None:
        key = (await session.scalars(select(ApiKey).where(ApiKey.id == key_id))).one_or_none()
        if key is None:
            raise NotFound("no such API key")
        if key.revoked_at is None:
            key.revoked_at = runtime.clock()
            await record(session, "api_key.revoked", resource="api_key", resource_id=key.id)
