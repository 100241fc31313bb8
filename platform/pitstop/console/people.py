"""HQ's integration API keys at the console: created with the secret shown once, revoked
in one click (staff and roles: ``console.staff`` and ``console.roles``).

The page declares the rule of the API route it mirrors (``api_keys:manage``) and uses its
service: keys are made and revoked by ``identity.api_keys`` (its checks: a key holds only
what its creator holds; its audit entries, ``api_key.created`` / ``api_key.revoked``).
The list is newest first, a page at a time, keyset on the key's id (a time-ordered UUIDv7,
so ``?before=<id>`` is "made before this one"): a key made while someone reads never
shifts a page.
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
from pitstop.console.forms import FormErrors, convert
from pitstop.console.view import Desk, shown
from pitstop.db.base import Clock
from pitstop.errors import NotFound, Unprocessable
from pitstop.identity import api_keys as key_service
from pitstop.identity.models import ApiKey
from pitstop.identity.schemas import ApiKeyCreate, key_out
from pitstop.settings import Settings

PAGE_SIZE = 50


class ApiKeyPages(Controller):
    path = "/hq/api-keys"

    @get("/", opt={"permission": "api_keys:manage"})
    async def keys(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        before: FromQuery[uuid.UUID | None] = None,
    ) -> Template:
        return await _keys_page(desk, session, before=before)

    @post("/", opt={"permission": "api_keys:manage"})
    async def create(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        permissions: NamedDependency[PermissionTable],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
    ) -> Template:
        """As ``POST /api/v1/api-keys``: the secret is on this page once, and never again."""
        form = await request.form()
        values = {"name": str(form.get("name", "")), "permissions": form.getall("permissions", [])}
        try:
            data = convert(values, ApiKeyCreate)
            async with session.begin_nested():
                key, credential = await key_service.create_key(
                    session, permissions, principal, data, secret_key=settings.secret_key
                )
        except FormErrors as exc:
            return await _keys_page(desk, session, exc.errors, values, 422)
        except Unprocessable as exc:
            errors = {str(e.get("field") or "form"): str(e.get("message", "")) for e in exc.errors}
            return await _keys_page(desk, session, errors, values, 422)
        return await _keys_page(desk, session, created=(key.name, credential))

    @post("/{key_id:uuid}/revoke", opt={"permission": "api_keys:manage"})
    async def revoke(
        self,
        key_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """As ``DELETE /api/v1/api-keys/{id}``: the key stops working at once."""
        key = (await session.scalars(select(ApiKey).where(ApiKey.id == key_id))).one_or_none()
        if key is None:
            raise NotFound("no such API key")
        await key_service.revoke_key(session, key, clock())
        return Redirect("/console/hq/api-keys", status_code=303)


async def _keys_page(
    desk: Desk,
    session: AsyncSession,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
    *,
    created: tuple[str, str] | None = None,
    before: uuid.UUID | None = None,
) -> Template:
    statement = select(ApiKey).order_by(ApiKey.id.desc()).limit(PAGE_SIZE + 1)
    if before is not None:
        statement = statement.where(ApiKey.id < before)
    keys = (await session.scalars(statement)).all()
    older = str(keys[PAGE_SIZE - 1].id) if len(keys) > PAGE_SIZE else None
    grantable = sorted(desk.principal.permissions) if desk.principal is not None else []
    return desk.page(
        "api_keys.html", status, keys=[shown(key_out(k)) for k in keys[:PAGE_SIZE]], older=older,
        grantable=grantable,
        errors=errors or {}, typed=typed or {"name": "", "permissions": []}, created=created,
    )  # fmt: skip
