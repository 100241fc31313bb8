"""Property: whatever happens to a member, the books agree and nobody overspends.

Hypothesis draws random interleavings of earn (order completed), redeem, expire (time
passes and the nightly run expires lots), refund and adjust, under either clawback policy
and with or without a pending period, and runs them through the plugin's real handlers,
each in its own transaction. After every step:

* balance = sum of entries = sum of lot remainders (and pending = pending lots);
* a redemption never leaves a negative balance, and takes the soonest-expiring lots first;
* a refused redemption or adjustment writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.crm.models import Customer
from pitstop.sdk import Event, PluginContext, Unprocessable
from pitstop_membership import earning, ledger, nightly
from pitstop_membership.ledger import Source, consumption_order
from pitstop_membership.models import EntryKind
from pitstop_membership.settings import Clawback
from tests.plugins.membership.conftest import Books, Club, local

Step = tuple[str, int]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(0, 100_000)),
        st.tuples(st.just("earn"), st.integers(0, 100_000)),
        st.tuples(st.just("redeem"), st.integers(1, 600)),
        st.tuples(st.just("redeem"), st.integers(1, 600)),
        st.tuples(st.just("advance"), st.integers(1, 200)),
        st.tuples(st.just("refund"), st.integers(0, 5)),
        st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
    ),
    min_size=2,
    max_size=16,
)


class Member:
    """One customer driven through the plugin's handlers, step by step."""

    def __init__(self, club: Club, policy: Clawback, pending_days: int) -> None:
        self.club, self.policy, self.pending_days = club, policy, pending_days
        self.customer_id = uuid.uuid4()
        self.orders: list[dict[str, Any]] = []
        self.now = local(2026, 1, 5, 12, 0)

    async def call(self, action: Any) -> Any:
        self.club.demo.runtime.clock.set(lambda: self.now)
        async with self.club.context() as ctx:
            ctx.settings = msgspec.structs.replace(
                ctx.settings, clawback=self.policy, pending_days=self.pending_days
            )
            return await action(ctx)

    async def join(self) -> None:
        async def create(ctx: PluginContext) -> None:
            phone = f"+86139{self.customer_id.int % 10**8:08d}"
            ctx.session.add(Customer(id=self.customer_id, name="会员", phone=phone))
            await ctx.session.flush()

        await self.call(create)

    def _event(self, kind: str, facts: dict[str, Any]) -> Event:
        return Event(uuid.uuid4(), kind, self.club.crm.tenant_id, self.now, facts)

    async def step(self, kind: str, n: int) -> None:
        if kind == "earn":
            store = list(self.club.crm.stores.values())[n % len(self.club.crm.stores)]
            facts = {
                "order_id": str(uuid.uuid4()),
                "store_id": store,
                "customer_id": str(self.customer_id),
                "total": n,
                "amounts": {"maintenance": n},
            }
            self.orders.append(facts)
            event = self._event("service_order.completed", facts)
            await self.call(lambda ctx: earning.on_order_completed(ctx, event))
        elif kind == "refund" and self.orders:
            event = self._event("service_order.refunded", self.orders[n % len(self.orders)])
            await self.call(lambda ctx: earning.on_order_refunded(ctx, event))
        elif kind == "advance":
            self.now += dt.timedelta(days=n)
            await self.call(nightly.expire_points)
        elif kind in ("redeem", "adjust"):
            await self.spend(kind, n)

    async def spend(self, kind: str, n: int) -> None:
        before = await self.books()

        async def act(ctx: PluginContext) -> None:
            account = await ledger.lock_account(ctx.session, self.customer_id)
            if account is None:
                raise Unprocessable.field("points", "no account", code="insufficient_points")
            source = Source(key=f"{kind}:{uuid.uuid4()}", reason=kind)
            if kind == "redeem":
                await ledger.redeem(ctx.session, account, n, source, self.now)
            elif n > 0:
                await ledger.credit(ctx.session, account, EntryKind.adjust, n, source, self.now)
            else:
                await ledger.debit(ctx.session, account, -n, source, self.now)

        try:
            await self.call(act)
        except Unprocessable as refused:
            assert refused.code == "insufficient_points"
            after = await self.books()
            if before is not None and after is not None:
                assert len(after.entries) == len(before.entries)
                assert after.account.balance == before.account.balance
            return
        if kind == "redeem":
            self.check_redemption(await self.books())

    async def books(self) -> Books | None:
        try:
            return await self.club.books(str(self.customer_id))
        except Exception:  # no account yet
            return None

    def check_redemption(self, books: Books | None) -> None:
        assert books is not None
        assert books.account.balance >= 0
        last = books.entries[-1]
        assert last.kind == EntryKind.redeem
        taken = {m.lot_id for m in books.moves if m.entry_id == last.id}
        consumed = [lot for lot in books.lots if lot.id in taken]
        untouched = [
            lot
            for lot in books.lots
            if lot.id not in taken and lot.remaining > 0 and not lot.is_pending
        ]
        for lot in consumed:
            for other in untouched:
                assert consumption_order(lot) <= consumption_order(other)
        assert -last.points == -sum(m.points for m in books.moves if m.entry_id == last.id)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.integers(10_000, 200_000),
    plan=steps,
    policy=st.sampled_from(list(Clawback)),
    pending_days=st.sampled_from([0, 7]),
)
async def test_books_always_agree_and_nobody_overspends(
    club: Club, first: int, plan: list[Step], policy: Clawback, pending_days: int
) -> None:
    # Given a new customer of the demo chain, the programme on
    member = Member(club, policy, pending_days)
    await member.join()
    # When a random interleaving of earn, redeem, expire, refund and adjust happens
    for kind, n in [("earn", first), *plan]:
        await member.step(kind, n)
        books = await member.books()
        # Then after every step the three views of the points agree
        if books is not None:
            books.assert_balanced()
            # and only a clawback under allow_negative can leave a member owing
            if books.account.balance < 0:
                assert policy == Clawback.allow_negative
                assert all(lot.remaining <= 0 for lot in books.lots)
