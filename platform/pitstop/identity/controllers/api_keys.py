"""HTTP API of integration API keys: list, create (the secret shown once), revoke."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.errors import NotFound
from pitstop.identity import api_keys as service
from pitstop.identity.models import ApiKey
from pitstop.identity.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, key_out
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.settings import Settings


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
        permissions: NamedDependency[PermissionTable],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
    ) -> ApiKeyCreated:
        """The secret is returned once; a key may hold only permissions its creator has."""
        key, credential = await service.create_key(
            session, permissions, principal, data, secret_key=settings.secret_key
        )
        out = key_out(key)
        return ApiKeyCreated(**{f: getattr(out, f) for f in out.__struct_fields__}, key=credential)

    @delete("/{key_id:uuid}", status_code=204)
    async def revoke(
        self,
        key_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> None:
        key = (await session.scalars(select(ApiKey).where(ApiKey.id == key_id))).one_or_none()
        if key is None:
            raise NotFound("no such API key")
        await service.revoke_key(session, key, clock())
