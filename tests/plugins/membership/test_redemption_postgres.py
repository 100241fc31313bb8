"""On PostgreSQL a redemption is one SQL statement (pitstop_membership.redemption); through
the ORM it is a read and a flush (``ledger.redeem_by_flush``, the path SQLite takes). Two
members with the same lots redeem the same points, one each way: the books must come out
the same, lot by lot and movement by movement, refusals included."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.plugin_host.session import PluginSession
from pitstop.runtime import Runtime
from pitstop.sdk import Unprocessable
from pitstop.settings import Settings
from pitstop.tenancy.models import TenantPlugin
from pitstop_membership import ledger, tiers
from pitstop_membership.ledger import Source
from pitstop_membership.models import EntryKind, LedgerEntry, LotMovement, MemberAccount, PointLot
from pitstop_membership.redemption import redeem_in_one_statement
from tests.conftest import ON_POSTGRES
from tests.support.factories import make_tenant

pytestmark = ON_POSTGRES

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
LOTS = [  # (earned, points, available, expires): every rule of the order has a case
    (NOW - 30 * DAY, 100, None, NOW + 10 * DAY),
    (NOW - 20 * DAY, 50, None, NOW + 10 * DAY),  # same expiry, earned later: after the first
    (NOW - 40 * DAY, 70, None, None),  # never expires: last
    (NOW - 5 * DAY, 40, NOW - DAY, NOW + 5 * DAY),  # pending, matured by now: first
    (NOW - DAY, 60, NOW + 6 * DAY, NOW + 3 * DAY),  # still pending: never taken
]
PATHS = {"sql": redeem_in_one_statement, "flush": ledger.redeem_by_flush}


@pytest.fixture
async def members(settings: Settings) -> AsyncIterator[tuple[Runtime, uuid.UUID, dict[str, Any]]]:
    # Given two members of one tenant holding the same five lots
    runtime = Runtime.build(settings)
    try:
        tenant, stores = await make_tenant(runtime, "redemption-paths", stores=2)
        customers = {}
        with tenant_scope(tenant):
            async with runtime.sessions() as session, session.begin():
                session.add(TenantPlugin(plugin="membership", enabled=True, settings={}))
                ctx = await runtime.plugins.context(session, "membership")
                for n, path in enumerate(PATHS):
                    customer = Customer(name="会员", phone=f"+8613900000{n:03d}")
                    session.add(customer)
                    await session.flush()
                    account = await tiers.enrol(ctx, customer.id, NOW - 60 * DAY)
                    for i, (earned, points, available, expires) in enumerate(LOTS):
                        source = Source(key=f"seed:{path}:{i}", store_id=stores[i % 2])
                        await ledger.credit(
                            ctx.session,
                            account,
                            EntryKind.earn,
                            points,
                            source,
                            earned,
                            available_at=available,
                            expires_at=expires,
                        )
                    customers[path] = customer.id
        yield runtime, tenant, {"customers": customers, "store": stores[1]}
    finally:
        await runtime.close()


async def _redeem(
    runtime: Runtime,
    tenant: uuid.UUID,
    path: str,
    customer: uuid.UUID,
    points: int,
    store: uuid.UUID,
) -> tuple[str, int, int]:
    """Redeem one way; what the caller sees: the outcome and the account it holds."""
    with tenant_scope(tenant):
        async with runtime.sessions() as raw, raw.begin():
            session = PluginSession(raw)
            account = await ledger.lock_account(session, customer)
            assert account is not None
            source = Source(key=f"redeem:{uuid.uuid4()}", reason="换购", store_id=store)
            try:
                entry = await PATHS[path](session, account, points, source, NOW)
            except Unprocessable as refused:
                return str(refused), -1, -1  # rolled back: the account in hand is moot
            assert (entry.kind, entry.points, entry.store_id) == (EntryKind.redeem, -points, store)
            return "spent", account.balance, ledger.spendable(account)


async def _books(runtime: Runtime, tenant: uuid.UUID, customer: uuid.UUID) -> dict[str, Any]:
    """The member's books, lots named by their position in LOTS (ids differ per member)."""
    with tenant_scope(tenant):
        async with runtime.sessions() as session:
            account = (
                await session.scalars(
                    select(MemberAccount).where(MemberAccount.customer_id == customer)
                )
            ).one()
            lots = (
                await session.scalars(
                    select(PointLot).where(PointLot.account_id == account.id).order_by(PointLot.id)
                )
            ).all()
            name = {lot.id: n for n, lot in enumerate(lots)}
            entries = (
                await session.scalars(
                    select(LedgerEntry)
                    .where(LedgerEntry.account_id == account.id)
                    .order_by(LedgerEntry.occurred_at, LedgerEntry.id)
                )
            ).all()
            moves = (
                await session.scalars(
                    select(LotMovement).where(LotMovement.entry_id.in_([e.id for e in entries]))
                )
            ).all()
            spent = [e for e in entries if e.kind == EntryKind.redeem]
            return {
                "account": (account.balance, account.pending),
                "lots": [(lot.remaining, lot.is_pending) for lot in lots],
                "entries": [(e.kind, e.points, e.reason, e.store_id, e.occurred_at) for e in spent],
                "moves": sorted(
                    (
                        spent.index(e),
                        name[m.lot_id],
                        m.kind,
                        m.points,
                        m.lot_store_id,
                        m.entry_store_id,
                        m.at,
                    )
                    for m in moves
                    for e in spent
                    if m.entry_id == e.id
                ),
            }


async def test_one_statement_keeps_the_books_as_the_flush_does(
    members: tuple[Runtime, uuid.UUID, dict[str, Any]],
) -> None:
    runtime, tenant, given = members
    seen: dict[str, list[tuple[str, int, int]]] = {}
    # When each member redeems 180 points (across three lots, a matured one first), then
    # 1 point, then more than is spendable, each member's way
    for path, customer in given["customers"].items():
        seen[path] = [
            await _redeem(runtime, tenant, path, customer, points, given["store"])
            for points in (180, 1, 10_000)
        ]
    # Then both saw the same answers: spent, spent, refused naming what can be spent
    assert seen["sql"] == seen["flush"]
    assert [outcome for outcome, *_ in seen["sql"]][:2] == ["spent", "spent"]
    assert "only 79 points can be spent now" in seen["sql"][2][0]
    # And their books agree, lot by lot and movement by movement
    sql = await _books(runtime, tenant, given["customers"]["sql"])
    assert sql == await _books(runtime, tenant, given["customers"]["flush"])
    assert sql["lots"] == [(0, False), (9, False), (70, False), (0, False), (60, True)]


async def test_a_refused_redemption_writes_nothing(
    members: tuple[Runtime, uuid.UUID, dict[str, Any]],
) -> None:
    runtime, tenant, given = members
    customer = given["customers"]["sql"]
    before = await _books(runtime, tenant, customer)
    # When the member asks for more than the 260 spendable points (the matured lot counts)
    outcome, *_ = await _redeem(runtime, tenant, "sql", customer, 261, given["store"])
    # Then it is refused and the books are as they were: not even the maturing is written
    assert "only 260 points can be spent now" in outcome
    assert await _books(runtime, tenant, customer) == before
