"""What redeeming a voucher costs on PostgreSQL, beside a bare conditional UPDATE.

The plugin's redemption (``redeem_code``) finds the voucher by its code, reads its
template, checks it against the order (customer, store, validity, minimum spend), works
out the discount and holds the voucher with one conditional UPDATE, under RLS as the app
role. The floor is that UPDATE alone: ``UPDATE ... SET status = 'applied' WHERE code = :c
AND status = 'issued'``, one statement per transaction. Each operation redeems a
different voucher (a voucher is redeemed once), with the same concurrency for both. The
core's part (locking the order, writing the discount line) is not measured here: it is
the same whichever plugin answers. Run with ``make bench``; it prints the ratio and fails
past its bound (shared, noisy machines: compare ratios, not absolutes).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import text

from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.sdk import ServiceOrderView
from pitstop.settings import Settings
from pitstop.tenancy.models import TenantPlugin
from pitstop_membership.voucher_models import TemplateKind, VoucherTemplate
from pitstop_membership.voucher_redemption import redeem_code
from pitstop_membership.vouchers import Issue, issue
from tests.bench.bounds import Bound, check
from tests.conftest import ON_POSTGRES
from tests.support.factories import make_tenant

WORKERS, OPS = 8, 800
MAX_BARE_OVER_PLUGIN = 8.0
"""Lookup, template, checks and the hold: a few statements beside one."""
Op = Callable[[int], Awaitable[None]]

pytestmark = ON_POSTGRES


async def _vouchers(runtime: Runtime, tenant: uuid.UUID, count: int) -> tuple[uuid.UUID, list[str]]:
    """One customer holding ``count`` ¥50 vouchers: (customer id, codes)."""
    with tenant_scope(tenant):
        async with runtime.sessions() as session, session.begin():
            session.add(TenantPlugin(plugin="membership", enabled=True, settings={}))
            ctx = await runtime.plugins.context(session, "membership")
            customer = Customer(name="会员", phone="+8613900000001")
            template = VoucherTemplate(
                code="BENCH", title="bench", kind=TemplateKind.amount, amount=5_000,
                categories=[], stores=[], valid_days=30, issued=0, active=True,
            )  # fmt: skip
            session.add_all([customer, template])
            await session.flush()
            codes = [
                (await issue(ctx, template, Issue(customer.id, "bench"))).code for _ in range(count)
            ]
    return customer.id, codes


def _plugin_redeem(
    runtime: Runtime, tenant: uuid.UUID, customer: uuid.UUID, store: uuid.UUID, codes: Sequence[str]
) -> Op:
    async def op(n: int) -> None:
        order = ServiceOrderView(
            uuid.uuid4(), store, customer, uuid.uuid4(), "open", 30_000, None,
            {"maintenance": 30_000},
        )  # fmt: skip
        with tenant_scope(tenant):
            async with runtime.sessions() as session, session.begin():
                ctx = await runtime.plugins.context(session, "membership")
                offer = await redeem_code(ctx, order, codes[n])
                assert offer is not None

    return op


def _bare_update(runtime: Runtime, tenant: uuid.UUID, codes: Sequence[str]) -> Op:
    statement = text(
        "UPDATE membership_vouchers SET status = 'applied', order_id = :o"
        " WHERE tenant_id = :t AND code = :c AND status = 'issued'"
    )

    async def op(n: int) -> None:
        async with runtime.engine.begin() as connection:
            await connection.execute(
                text("SELECT set_config('pitstop.tenant_id', :t, true)"), {"t": str(tenant)}
            )
            result = await connection.execute(
                statement, {"o": uuid.uuid4(), "t": tenant, "c": codes[n]}
            )
            assert result.rowcount == 1

    return op


async def _run(op: Op) -> float:
    queue = iter(range(OPS))

    async def worker() -> None:
        for n in queue:
            await op(n)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return OPS / (time.perf_counter() - start)


async def test_voucher_redemption_beside_a_bare_conditional_update(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    try:
        tenant, stores = await make_tenant(runtime, "bench-vouchers", stores=1)
        customer, codes = await _vouchers(runtime, tenant, 2 * OPS)
        plugin = await _run(_plugin_redeem(runtime, tenant, customer, stores[0], codes[:OPS]))
        bare = await _run(_bare_update(runtime, tenant, codes[OPS:]))
    finally:
        await runtime.close()
    print(f"\nPostgreSQL, {WORKERS} concurrent workers, {OPS} voucher redemptions")
    print(f"  {'plugin redeem_code':32s} {plugin:9.0f} ops/s")
    print(f"  {'bare conditional UPDATE':32s} {bare:9.0f} ops/s")
    check(Bound("bare/plugin, voucher redemption", bare / plugin, MAX_BARE_OVER_PLUGIN))
