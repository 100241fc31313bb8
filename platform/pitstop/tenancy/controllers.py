"""HTTP API of tenancy: the tenant's stores.

The platform operator's tenant list is provisioning's (``provisioning/controllers.py``):
opening a tenant gives it its built-in roles, which are identity's, and tenancy sits
below identity.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.pagination import Page
from pitstop.tenancy import stores as service
from pitstop.tenancy.models import Store
from pitstop.tenancy.schemas import StoreCreate, StoreOut, StorePatch, store_out


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
        return store_out(await service.open_store(session, data))

    @patch("/{store_id:uuid}", opt={"permission": "stores:manage"})
    async def change_store(
        self,
        store_id: FromPath[uuid.UUID],
        data: JSONBody[StorePatch],
        session: NamedDependency[AsyncSession],
    ) -> StoreOut:
        """``active: false`` closes a store: its history stays, new orders are refused."""
        return store_out(await service.change_store(session, store_id, data))
