"""Builders for membership tests: the demo chain with the plugin on, members with orders.

Everything goes through the real API and the real worker (subscriptions), except the
nightly schedule, which tests call directly with a context built by the runtime.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.sdk import PluginContext
from pitstop_membership.models import LedgerEntry, LotMovement, MemberAccount, PointLot
from tests.crm.conftest import Crm
from tests.support.demo import Demo

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = "/api/v1/membership"


def local(*args: int) -> dt.datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def line(fen: int, category: str = "maintenance") -> dict[str, Any]:
    return {
        "kind": "labor",
        "category": category,
        "description": "保养",
        "quantity": 1,
        "unit_price": fen,
    }


@dataclass
class Club:
    """The demo chain running the membership programme, with its worker and clock."""

    crm: Crm
    worker: Any
    mileage: int = 10_000

    @property
    def demo(self) -> Demo:
        return self.crm.demo

    @property
    def client(self) -> Any:
        return self.crm.demo.client

    def at(self, when: dt.datetime) -> None:
        """Move the clock (logins are re-issued: tokens are judged by the same clock)."""
        self.demo.runtime.clock.set(lambda: when.astimezone(dt.UTC))
        self.demo.tokens.clear()

    async def headers(self, role: str = "hq_admin", **extra: str) -> dict[str, str]:
        return {**await self.demo.headers(role), **extra}

    async def enable(self, **settings: Any) -> None:
        response = await self.client.put(
            "/api/v1/plugins/membership",
            json={"enabled": True, "settings": settings},
            headers=await self.headers(),
        )
        assert response.status_code == 200, response.text

    async def customer(self, **fields: Any) -> tuple[str, str]:
        """A customer with a vehicle: (customer id, vehicle id)."""
        customer = await self.crm.customer(**fields)
        vehicle = await self.crm.vehicle(customer["id"])
        return customer["id"], vehicle["id"]

    async def spend(
        self, who: tuple[str, str], fen: int, store: str = "SH001", category: str = "maintenance"
    ) -> str:
        """Complete an order of ``fen`` for the customer and let the worker earn points."""
        order = await self.crm.order(store, who[0], who[1], lines=[line(fen, category)])
        self.mileage += 100
        await self.crm.complete(order["id"], self.mileage)
        await self.worker()
        return str(order["id"])

    async def refund(self, order_id: str) -> None:
        response = await self.client.post(
            f"/api/v1/service-orders/{order_id}/refund",
            json={"reason": "客户不满意"},
            headers=await self.headers(),
        )
        assert response.status_code == 200, response.text
        await self.worker()

    async def account(self, customer_id: str, role: str = "hq_admin") -> dict[str, Any]:
        response = await self.client.get(
            f"{BASE}/accounts/{customer_id}", headers=await self.headers(role)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def redeem(
        self, customer_id: str, points: int, role: str = "hq_admin", **body: Any
    ) -> Any:
        return await self.client.post(
            f"{BASE}/accounts/{customer_id}/redeem",
            json={"points": points, "reason": "抵扣", **body},
            headers=await self.headers(role),
        )

    async def adjust(
        self, customer_id: str, points: int, role: str = "hq_admin", **body: Any
    ) -> Any:
        return await self.client.post(
            f"{BASE}/accounts/{customer_id}/adjust",
            json={"points": points, "reason": "补偿", **body},
            headers=await self.headers(role),
        )

    @asynccontextmanager
    async def context(self) -> AsyncIterator[PluginContext]:
        """A plugin context in one committed transaction, as the scheduler would give."""
        runtime = self.demo.runtime
        with tenant_scope(self.crm.tenant_id):
            async with runtime.sessions() as session, session.begin():
                yield await runtime.plugins.context(session, "membership")

    async def nightly(self) -> None:
        from pitstop_membership.nightly import run_nightly

        async with self.context() as ctx:
            await run_nightly(ctx)

    async def books(self, customer_id: str) -> Books:
        """The three views of a member's points, read straight from the database."""
        async with self.context() as ctx:
            session = ctx.session
            account = (
                await session.scalars(
                    select(MemberAccount).where(MemberAccount.customer_id == uuid.UUID(customer_id))
                )
            ).one()
            entries = list(
                (
                    await session.scalars(
                        select(LedgerEntry)
                        .where(LedgerEntry.account_id == account.id)
                        .order_by(LedgerEntry.id)
                    )
                ).all()
            )
            lots = list(
                (
                    await session.scalars(select(PointLot).where(PointLot.account_id == account.id))
                ).all()
            )
            moves = list(
                (
                    await session.scalars(
                        select(LotMovement).where(LotMovement.lot_id.in_([x.id for x in lots]))
                    )
                ).all()
            )
            return Books(account, entries, lots, moves)


@dataclass
class Books:
    account: MemberAccount
    entries: list[LedgerEntry]
    lots: list[PointLot]
    moves: list[LotMovement]

    def assert_balanced(self) -> None:
        """balance = sum of entries = sum of lot remainders; pending = pending lots."""
        assert self.account.balance == sum(e.points for e in self.entries)
        assert self.account.balance == sum(lot.remaining for lot in self.lots)
        assert self.account.pending == sum(lot.remaining for lot in self.lots if lot.is_pending)
        for lot in self.lots:
            moved = sum(m.points for m in self.moves if m.lot_id == lot.id)
            assert lot.remaining == lot.points + moved


@pytest.fixture
async def crm(demo: Demo) -> Crm:
    helper = Crm(demo)
    await helper.load_stores()
    return helper


@pytest.fixture
async def club(crm: Crm, worker: Any) -> Club:
    """The demo chain with the plugin on (default settings) at 10 March 2026, 10:00."""
    helper = Club(crm, worker)
    helper.at(local(2026, 3, 10, 10, 0))
    await helper.enable()
    return helper
