"""What the points ledger costs on PostgreSQL, beside a bare conditional UPDATE.

A ledger redemption locks the account row, reads the member's open lots, writes an entry,
a movement per lot touched, and updates lot and account, all under RLS as the app role.
The floor it is compared with is the cheapest correct way to spend points at all:
``UPDATE ... SET balance = balance - x WHERE balance >= x``, one statement per
transaction. Three sides run with the same concurrency (8 transactions in flight), against
one hot account and against 1,000 accounts: the ledger as it is (one statement on
PostgreSQL), the ledger through the ORM's flush (as it was, the "before"), and the bare
UPDATE. Rounds interleave A B C C B A A B C, so the machine's other load falls on every
side alike, and each side's figure is the median of its 3 rounds. Run with
``make bench``; it prints the ratios and fails when one is past its bound (the machines
are shared and noisy: compare ratios, not absolutes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import text

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.plugin_host.session import PluginSession
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import TenantPlugin
from pitstop_membership import ledger, tiers
from pitstop_membership.ledger import Source
from pitstop_membership.models import EntryKind, LedgerEntry, MemberAccount
from tests.bench.bounds import Bound, check
from tests.conftest import ON_POSTGRES
from tests.support.factories import make_tenant

ACCOUNTS, WORKERS, OPS, ROUNDS = 1_000, 8, 400, 3
# One statement measured 2.6-4.9x (hot) and 2.3-3.5x (1,000 accounts), through the flush
# 5.8-8.7x and 5.3-7.3x: the bounds leave room for a noisy machine. Issue 21's goal is at
# most 2x.
MAX_BARE_OVER_LEDGER = {"one hot account": 7.0, "1,000 accounts": 5.0}
ONE_STATEMENT = "ledger.redeem (one statement)"
BY_FLUSH = "ledger.redeem_by_flush (before)"
BARE = "bare conditional UPDATE"
Op = Callable[[int], Awaitable[None]]
Redeem = Callable[[PluginSession, MemberAccount, int, Source, dt.datetime], Awaitable[LedgerEntry]]


pytestmark = ON_POSTGRES


async def _members(runtime: Runtime, tenant: uuid.UUID, store: uuid.UUID) -> list[uuid.UUID]:
    """1,000 members with a million points each (redemptions never run out)."""
    customers = []
    with tenant_scope(tenant):
        async with runtime.sessions() as session, session.begin():
            session.add(TenantPlugin(plugin="membership", enabled=True, settings={}))
            ctx = await runtime.plugins.context(session, "membership")
            for n in range(ACCOUNTS):
                customer = Customer(name="会员", phone=f"+86139{n:08d}")
                session.add(customer)
                await session.flush()
                account = await tiers.enrol(ctx, customer.id, ctx.now())
                source = Source(key=f"seed:{customer.id}", store_id=store)
                await ledger.credit(
                    ctx.session, account, EntryKind.adjust, 1_000_000, source, ctx.now()
                )
                customers.append(customer.id)
    return customers


async def _run(op: Op, workers: int = WORKERS, ops: int = OPS) -> float:
    """Operations per second with ``workers`` coroutines sharing ``ops`` operations."""
    queue = iter(range(ops))

    async def worker() -> None:
        for n in queue:
            await op(n)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return ops / (time.perf_counter() - start)


def _ledger_redeem(
    runtime: Runtime, tenant: uuid.UUID, targets: Sequence[uuid.UUID], redeem: Redeem
) -> Op:
    async def op(n: int) -> None:
        with tenant_scope(tenant):
            async with runtime.sessions() as raw, raw.begin():
                session = PluginSession(raw)  # what a plugin is handed
                account = await ledger.lock_account(session, targets[n % len(targets)])
                assert account is not None
                source = Source(key=f"bench:{uuid.uuid4()}", reason="bench")
                await redeem(session, account, 1, source, dt.datetime.now(dt.UTC))

    return op


def _bare_update(runtime: Runtime, tenant: uuid.UUID, targets: Sequence[uuid.UUID]) -> Op:
    statement = text(
        "UPDATE membership_accounts SET balance = balance - :x"
        " WHERE tenant_id = :t AND customer_id = :c AND balance >= :x"
    )

    async def op(n: int) -> None:
        async with runtime.engine.begin() as connection:
            await connection.execute(
                text("SELECT set_config('pitstop.tenant_id', :t, true)"), {"t": str(tenant)}
            )
            result = await connection.execute(
                statement, {"x": 1, "t": tenant, "c": targets[n % len(targets)]}
            )
            assert result.rowcount == 1

    return op


async def _side_by_side(sides: dict[str, Op]) -> dict[str, float]:
    """Each side's median over ROUNDS rounds, run in the ABC CBA ABC order."""
    names = list(sides)
    order = [*names, *reversed(names)] * ROUNDS
    rates: dict[str, list[float]] = {name: [] for name in names}
    for name in order:
        if len(rates[name]) < ROUNDS:
            rates[name].append(await _run(sides[name]))
    return {name: statistics.median(rounds) for name, rounds in rates.items()}


async def test_ledger_throughput_beside_a_bare_conditional_update(settings: Settings) -> None:
    runtime = Runtime.build(settings)  # pooled: connection set-up is not what is measured
    try:
        tenant, stores = await make_tenant(runtime, "bench-points", stores=1)
        members = await _members(runtime, tenant, stores[0])
        results = {
            scope: await _side_by_side(
                {
                    ONE_STATEMENT: _ledger_redeem(runtime, tenant, targets, ledger.redeem),
                    BY_FLUSH: _ledger_redeem(runtime, tenant, targets, ledger.redeem_by_flush),
                    BARE: _bare_update(runtime, tenant, targets),
                }
            )
            for scope, targets in (("one hot account", members[:1]), ("1,000 accounts", members))
        }
    finally:
        await runtime.close()
    print(
        f"\nPostgreSQL, {WORKERS} concurrent workers, rounds of {OPS} redemptions of 1 point,"
        f" median of {ROUNDS} interleaved rounds per side (ops/s; bare / side)"
    )
    for scope, rates in results.items():
        print(f"  {scope}:")
        for name, rate in rates.items():
            print(f"    {name:<34} {rate:8.0f} ops/s   {rates[BARE] / rate:5.2f}x")
    check(
        *(
            Bound(
                f"bare/ledger, {scope}",
                rates[BARE] / rates[ONE_STATEMENT],
                MAX_BARE_OVER_LEDGER[scope],
                goal=2,
            )
            for scope, rates in results.items()
        )
    )
