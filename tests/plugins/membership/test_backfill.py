"""``pitstop membership backfill``: a shop's past year counted once, by the programme's rules.

The command runs as an operator would run it (click, in-process), against the demo chain
with a small demo book; the runtime is handed in so the clock is fixed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from pitstop.access.models import AuditEntry
from pitstop.cli import main
from pitstop.crm.models import OrderStatus, ServiceOrder
from pitstop.db.tenant_context import tenant_scope
from pitstop.demo.crm_book import BookSize, load_demo_crm
from pitstop.events.models import OutboxEvent
from pitstop.runtime import Runtime
from pitstop.sdk import completed_service_orders
from pitstop.tenancy.models import Tenant
from pitstop_membership import earning
from pitstop_membership.earning import CompletedOrder
from pitstop_membership.models import EntryKind, LedgerEntry, MemberAccount, PointLot
from pitstop_membership.settings import DEFAULT_TIERS
from tests.crm.conftest import Crm

NOW = dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW_START = dt.datetime(2025, 11, 1, tzinfo=SHANGHAI)
"""``--since 12mo`` on 1 Nov 2026 (Shanghai): local midnight of 1 Nov 2025."""
SMALL = {
    "demo-chain": BookSize(customers=200, vehicles=240, orders=1_500),
    "demo-shop": BookSize(customers=40, vehicles=48, orders=150),
}
MULTIPLIER = {t.code: Decimal(str(t.multiplier)) for t in DEFAULT_TIERS}


def backfill(runtime: Runtime, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["membership", "backfill", *args], obj=runtime, catch_exceptions=False
    )


async def run_backfill(runtime: Runtime, *args: str) -> Result:
    return await asyncio.to_thread(backfill, runtime, *args)


async def given_books(crm: Crm) -> Runtime:
    runtime = crm.demo.runtime
    runtime.clock.set(lambda: NOW)
    await load_demo_crm(runtime.sessions, NOW, SMALL)
    return runtime


async def tenant_id(runtime: Runtime, slug: str) -> uuid.UUID:
    async with runtime.sessions() as session:
        return (await session.scalars(select(Tenant.id).where(Tenant.slug == slug))).one()


async def rows(runtime: Runtime, tenant: uuid.UUID, statement: Any) -> list[Any]:
    with tenant_scope(tenant):
        async with runtime.sessions() as session:
            return list((await session.execute(statement)).all())


async def counts(runtime: Runtime, tenant: uuid.UUID) -> dict[str, int]:
    found = {}
    for model in (MemberAccount, LedgerEntry, PointLot, OutboxEvent, AuditEntry):
        statement = select(func.count()).select_from(model)
        found[model.__name__] = (await rows(runtime, tenant, statement))[0][0]
    return found


async def refund_one(crm: Crm, tenant: uuid.UUID) -> uuid.UUID:
    """Refund (through the API) one completed order of the window."""
    runtime = crm.demo.runtime
    [(order_id,)] = await rows(
        runtime,
        tenant,
        select(ServiceOrder.id)
        .where(
            ServiceOrder.status == OrderStatus.completed, ServiceOrder.completed_at >= WINDOW_START
        )
        .order_by(ServiceOrder.completed_at.desc())
        .limit(1),
    )
    response = await crm.demo.client.post(
        f"/api/v1/service-orders/{order_id}/refund",
        json={"reason": "返工不满意"},
        headers=await crm.headers(),
    )
    assert response.status_code == 200, response.text
    return uuid.UUID(str(order_id))


def expected_expiry(completed_at: dt.datetime) -> dt.datetime:
    """Default rule: as the month twelve months after the completion month ends (local)."""
    local = completed_at.astimezone(SHANGHAI)
    month = local.year * 12 + local.month - 1 + 13
    return dt.datetime(month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)


async def test_backfill_earns_points_and_tiers_for_the_window_once(crm: Crm) -> None:
    # Given the demo chain's book (membership on since the manifests, nothing earned yet)
    runtime = await given_books(crm)
    chain = await tenant_id(runtime, "demo-chain")
    # And one completed order of the window refunded just before
    refunded = await refund_one(crm, chain)
    # When the operator backfills the last twelve months
    first = await run_backfill(runtime, "--since", "12mo")
    # Then every completed, not refunded order of the window earned exactly once
    assert first.exit_code == 0, first.output
    orders = await rows(
        runtime,
        chain,
        select(ServiceOrder.id, ServiceOrder.customer_id, ServiceOrder.total).where(
            ServiceOrder.status == OrderStatus.completed,
            ServiceOrder.completed_at >= WINDOW_START,
        ),
    )
    entries = await rows(
        runtime,
        chain,
        select(LedgerEntry).where(LedgerEntry.kind == EntryKind.earn).order_by(LedgerEntry.id),
    )
    earned = {e.order_id: e for (e,) in entries}
    assert set(earned) == {o.id for o in orders} and len(entries) == len(orders)
    assert refunded not in earned
    # And each earned the programme's rate at the tier the member held then (1 point per ¥)
    for entry in earned.values():
        rate = MULTIPLIER[entry.detail["tier"]]
        expected = (Decimal(entry.spend) / 100 * rate).to_integral_value(rounding=ROUND_FLOOR)
        assert entry.points == int(expected), entry.detail
    # And its points expire by the programme's rule counted from the order's completion
    lots = {lot.entry_id: lot for (lot,) in await rows(runtime, chain, select(PointLot))}
    for entry in earned.values():
        lot = lots[entry.id]
        assert lot.earned_at == entry.occurred_at
        assert lot.expires_at == expected_expiry(entry.occurred_at)
    # And every member holds the tier their year's spend reaches; some reached silver
    spend: dict[uuid.UUID, int] = {}
    for order in orders:
        spend[order.customer_id] = spend.get(order.customer_id, 0) + order.total
    accounts = await rows(runtime, chain, select(MemberAccount))
    assert {a.customer_id for (a,) in accounts} == set(spend)
    for (account,) in accounts:
        reached = [t.code for t in DEFAULT_TIERS if t.threshold <= spend[account.customer_id]]
        assert account.tier == reached[-1]
        assert account.balance == sum(
            e.points for e in earned.values() if e.account_id == account.id
        )
    assert any(a.tier != "regular" for (a,) in accounts)
    # And the summary says so, with counts only
    assert f"{len(orders):,} counted" in first.output
    assert "members per tier: regular" in first.output

    # When it runs again
    before = await counts(runtime, chain)
    second = await run_backfill(runtime, "--since", "12mo")
    # Then nothing changes, and it says nothing was counted
    assert second.exit_code == 0, second.output
    assert await counts(runtime, chain) == before
    assert "0 counted" in second.output


async def test_backfill_stays_in_the_tenant_it_is_given(crm: Crm) -> None:
    # Given both demo tenants with books, and membership turned on for the shop too
    runtime = await given_books(crm)
    chain, shop = await tenant_id(runtime, "demo-chain"), await tenant_id(runtime, "demo-shop")
    await enable_for_shop(crm)
    shop_before = await counts(runtime, shop)
    # When the chain alone is backfilled
    result = await run_backfill(runtime, "--since", "12mo", "--tenant", "demo-chain")
    # Then the chain has members and the shop is untouched
    assert result.exit_code == 0, result.output
    assert (await counts(runtime, chain))["MemberAccount"] > 0
    assert await counts(runtime, shop) == shop_before
    assert "demo-shop" not in result.output
    # And without --tenant every tenant running membership is backfilled, each on its own
    everyone = await run_backfill(runtime, "--since", "12mo")
    assert everyone.output.index("demo-chain:") < everyone.output.index("demo-shop:")
    assert (await counts(runtime, shop))["MemberAccount"] > 0


async def enable_for_shop(crm: Crm) -> None:
    token = await crm.demo.token("owner@demo-shop.example", tenant="demo-shop")
    response = await crm.demo.client.put(
        "/api/v1/plugins/membership",
        json={"enabled": True, "settings": {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


async def test_backfill_refuses_what_it_cannot_do(crm: Crm) -> None:
    # Given the demo tenants (the shop does not run membership)
    runtime = await given_books(crm)
    # When the operator names a tenant that does not run it, one that does not exist,
    # or a window it cannot read
    off = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["membership", "backfill", "--since", "1y", "--tenant", "demo-shop"],
        obj=runtime,
    )
    unknown = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["membership", "backfill", "--since", "1y", "--tenant", "nope"],
        obj=runtime,
    )
    bad = await asyncio.to_thread(
        CliRunner().invoke, main, ["membership", "backfill", "--since", "soon"], obj=runtime
    )
    # Then each stops with one line naming the problem, and nothing is written
    assert off.exit_code == 1 and "demo-shop has not enabled membership" in off.output
    assert unknown.exit_code == 1 and "no tenant 'nope'" in unknown.output
    assert bad.exit_code == 2 and "--since" in bad.output
    chain = await tenant_id(runtime, "demo-chain")
    assert (await counts(runtime, chain))["MemberAccount"] == 0


async def snapshot(session: Any) -> dict[str, Any]:
    """Everything the programme holds, keyed by customer and order (ids of its own rows
    differ between two runs; what they say must not)."""
    accounts = {a.id: a.customer_id for a in (await session.scalars(select(MemberAccount))).all()}
    entries = (await session.scalars(select(LedgerEntry))).all()
    orders = {e.id: e.order_id for e in entries}
    events = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "membership.tier_changed")
    )
    return {
        "accounts": {
            a.customer_id: (
                a.tier,
                a.tier_since,
                a.enrolled_at,
                a.balance,
                a.pending,
                a.next_review_on,
            )
            for a in (await session.scalars(select(MemberAccount))).all()
        },
        "entries": {
            e.order_id: (
                accounts[e.account_id],
                e.kind,
                e.points,
                e.spend,
                e.occurred_at,
                e.store_id,
                e.idempotency_key,
                e.detail,
            )
            for e in entries
        },
        "lots": {
            orders[lot.entry_id]: (
                lot.kind,
                lot.points,
                lot.remaining,
                lot.earned_at,
                lot.available_at,
                lot.expires_at,
                lot.is_pending,
            )
            for lot in (await session.scalars(select(PointLot))).all()
        },
        "tier_changes": sorted(
            (e.payload["customer_id"], e.payload["from"], e.payload["to"]) for e in events.all()
        ),
    }


async def test_the_backfill_books_what_live_earning_would_have(crm: Crm) -> None:
    # Given the chain's book and a programme with every rule in play
    runtime = await given_books(crm)
    chain = await tenant_id(runtime, "demo-chain")
    response = await crm.demo.client.patch(
        "/api/v1/plugins/membership",
        json={
            "settings": {
                "pending_days": 7,
                "birthday_multiplier": 2.0,
                "rounding": "nearest",
                "category_multipliers": {"beauty": 1.5, "tyre": 0.5},
            }
        },
        headers=await crm.headers(),
    )
    assert response.status_code == 200, response.text
    # When the window's orders earn one by one through the live path (then rolled back)
    with tenant_scope(chain):
        async with runtime.sessions() as session, session.begin():
            ctx = await runtime.plugins.context(session, "membership")
            async for order in completed_service_orders(ctx, since=WINDOW_START, until=NOW):
                assert order.completed_at is not None
                await earning.earn(
                    ctx,
                    CompletedOrder(
                        order.id,
                        order.customer_id,
                        order.store_id,
                        order.total,
                        order.amounts,
                        order.completed_at,
                    ),
                )
            live = await snapshot(session)
            await session.rollback()
    # And the backfill counts the same window
    result = await run_backfill(runtime, "--since", "12mo")
    assert result.exit_code == 0, result.output
    with tenant_scope(chain):
        async with runtime.sessions() as session:
            replayed = await snapshot(session)
    # Then both left exactly the same members, entries, lots and tier changes
    assert live["entries"] and live["tier_changes"]
    assert replayed == live
