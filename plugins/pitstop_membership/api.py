"""HTTP API under ``/api/v1/membership/``: accounts, the ledger, redemption, adjustments,
tier overrides and the chain's liability report.

Accounts are chain-wide (a member is recognised at every store), so any store's staff may
look a member up; what is store-bound is *where* points are spent or granted, and a
store-scoped caller can only name their own stores (or orders of their own stores).
Every mutating call honours ``Idempotency-Key`` (see :mod:`.idempotency`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Response
from sqlalchemy import select

from pitstop.sdk import (
    Limit,
    Page,
    PluginContext,
    Unprocessable,
    checked_day,
    get_service_order,
    keyset,
    page_of,
)
from pitstop_membership import dates, ledger, reports, tiers, views
from pitstop_membership.idempotency import idempotent, request_hash
from pitstop_membership.ledger import Source
from pitstop_membership.models import EntryKind, LedgerEntry
from pitstop_membership.schemas import (
    AccountOut,
    AdjustIn,
    EntryOut,
    LiabilityReport,
    PostingOut,
    RedeemIn,
    TierOverrideIn,
)
from pitstop_membership.settings import MembershipSettings, programme

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key")]


def digest(request: Request[Any, Any, Any], data: msgspec.Struct) -> str:
    return request_hash(request.method, request.url.path, data)


def _actor(ctx: PluginContext) -> uuid.UUID | None:
    return ctx.principal.actor_id if ctx.principal else None


async def _spending_store(
    ctx: PluginContext, customer_id: uuid.UUID, data: RedeemIn
) -> uuid.UUID | None:
    """Where the points are spent: the order's store, the named store, or one's only store."""
    if data.order_id is not None:
        order = await get_service_order(ctx, data.order_id)
        principal = ctx.principal
        if order is None or (principal is not None and not principal.sees_store(order.store_id)):
            raise Unprocessable.field("order_id", "no such service order", code="unknown_order")
        if order.customer_id != customer_id:
            raise Unprocessable.field(
                "order_id", "the order is another customer's", code="order_of_another_customer"
            )
        if data.store_id is not None and data.store_id != order.store_id:
            raise Unprocessable.field("store_id", "differs from the order's store")
        return order.store_id
    return await named_or_own_store(ctx, data.store_id)


async def named_or_own_store(ctx: PluginContext, store_id: uuid.UUID | None) -> uuid.UUID | None:
    if store_id is not None:
        return await views.store_in_scope(ctx, store_id, "store_id")
    scope = ctx.principal.store_ids if ctx.principal else None
    if scope is None:
        return None  # HQ: points granted or spent centrally
    if len(scope) != 1:
        raise Unprocessable.field("store_id", "required for staff of several stores")
    return next(iter(scope))


def _posting(entry: LedgerEntry, balance: int, spendable: int) -> PostingOut:
    return PostingOut(views.entry_out(entry), balance, spendable)


class MembershipController(Controller):
    path = "/"

    @get("/accounts/{customer_id:uuid}", opt={"permission": "membership:read"})
    async def account(
        self, customer_id: FromPath[uuid.UUID], ctx: NamedDependency[PluginContext]
    ) -> AccountOut:
        """Balance, pending, tier, progress, what keeps the tier, and points expiring soon."""
        return await views.account_out(ctx, await views.member(ctx, customer_id))

    @post(
        "/accounts/{customer_id:uuid}/enrol",
        status_code=200,
        opt={"permission": "membership:redeem"},
    )
    async def enrol(
        self, customer_id: FromPath[uuid.UUID], ctx: NamedDependency[PluginContext]
    ) -> AccountOut:
        """Make a customer a member now (otherwise the first completed order does)."""
        return await views.account_out(ctx, await views.member_or_enrol(ctx, customer_id))

    @get("/accounts/{customer_id:uuid}/ledger", opt={"permission": "membership:read"})
    async def entries(
        self,
        customer_id: FromPath[uuid.UUID],
        ctx: NamedDependency[PluginContext],
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[EntryOut]:
        """Newest last (UUIDv7 order), ``?limit=&after=`` keyset pages."""
        account = await views.member(ctx, customer_id)
        statement = select(LedgerEntry).where(LedgerEntry.account_id == account.id)
        rows = (await ctx.session.scalars(keyset(statement, LedgerEntry.id, after, limit))).all()
        return page_of(rows, limit, [views.entry_out(e) for e in rows], lambda e: e.id)

    @post(
        "/accounts/{customer_id:uuid}/redeem",
        status_code=200,
        opt={"permission": "membership:redeem"},
    )
    async def redeem(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[RedeemIn],
        ctx: NamedDependency[PluginContext],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostingOut]:
        """Spend points; 422 ``insufficient_points`` writes nothing, even under concurrency."""

        async def work() -> tuple[int, PostingOut]:
            store_id = await _spending_store(ctx, customer_id, data)
            account = await views.member(ctx, customer_id, lock=True)
            source = Source(
                key=f"redeem:{uuid.uuid4()}",
                reason=data.reason.strip(),
                store_id=store_id,
                order_id=data.order_id,
                actor_id=_actor(ctx),
            )
            entry = await ledger.redeem(ctx.session, account, data.points, source, ctx.now())
            return 200, _posting(entry, account.balance, ledger.spendable(account))

        return await idempotent(ctx, idempotency_key, digest(request, data), work, PostingOut)

    @post(
        "/accounts/{customer_id:uuid}/adjust",
        status_code=200,
        opt={"permission": "membership:adjust"},
    )
    async def adjust(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[AdjustIn],
        ctx: NamedDependency[PluginContext],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostingOut]:
        """Grant (a new lot, expiring like earned points) or take points; audited."""
        if data.points == 0:
            raise Unprocessable.field("points", "must not be zero")
        if not data.reason.strip():
            raise Unprocessable.field("reason", "must not be blank")

        async def work() -> tuple[int, PostingOut]:
            store_id = await named_or_own_store(ctx, data.store_id)
            account = await views.member_or_enrol(ctx, customer_id)
            source = Source(
                key=f"adjust:{uuid.uuid4()}",
                reason=data.reason.strip(),
                store_id=store_id,
                actor_id=_actor(ctx),
            )
            now = ctx.now()
            settings = programme(ctx)
            if data.points > 0:
                entry = await ledger.credit(
                    ctx.session,
                    account,
                    EntryKind.adjust,
                    data.points,
                    source,
                    now,
                    expires_at=dates.expiry_for(settings, now),
                )
            else:
                entry = await ledger.debit(ctx.session, account, -data.points, source, now)
            await ctx.session.flush()
            await ctx.audit(
                "membership.adjust",
                resource="membership_account",
                resource_id=account.id,
                detail={
                    "customer_id": str(customer_id),
                    "points": data.points,
                    "reason": source.reason,
                    "entry_id": str(entry.id),
                },
            )
            return 200, _posting(entry, account.balance, ledger.spendable(account))

        return await idempotent(ctx, idempotency_key, digest(request, data), work, PostingOut)

    @put("/accounts/{customer_id:uuid}/tier", opt={"permission": "membership:manage"})
    async def override_tier(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[TierOverrideIn],
        ctx: NamedDependency[PluginContext],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AccountOut]:
        """Put a member on a tier until a date (inclusive); it ends when it ends."""
        settings = programme(ctx)
        until = _override_end(settings, data, ctx.now())

        async def work() -> tuple[int, AccountOut]:
            account = await views.member_or_enrol(ctx, customer_id)
            await tiers.set_override(ctx, account, data.tier, until, data.reason.strip())
            await ctx.audit(
                "membership.tier_override",
                resource="membership_account",
                resource_id=account.id,
                detail={
                    "customer_id": str(customer_id),
                    "tier": data.tier,
                    "until": until.isoformat() if until else None,
                    "reason": data.reason.strip(),
                },
            )
            return 200, await views.account_out(ctx, account)

        return await idempotent(ctx, idempotency_key, digest(request, data), work, AccountOut)

    @get("/reports/liability", opt={"permission": "membership:read"})
    async def liability(
        self,
        ctx: NamedDependency[PluginContext],
        start: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> LiabilityReport:
        """Per store issued/redeemed/expired/reversed within the dates (inclusive) and
        outstanding at the end, plus the cross-store redemptions HQ settles."""
        settings = programme(ctx)
        today = dates.local_date(settings, ctx.now())
        first, last = start or today.replace(day=1), end or today
        checked_day(first, "from")
        checked_day(last, "to")
        if last < first:
            raise Unprocessable.field("to", "is before from")
        return await reports.liability(
            ctx,
            dates.local_midnight(settings, first),
            dates.local_midnight(settings, last + dt.timedelta(days=1)),
            ctx.principal.store_ids if ctx.principal else None,
        )


def _override_end(
    settings: MembershipSettings, data: TierOverrideIn, now: dt.datetime
) -> dt.datetime | None:
    if data.tier is None:
        return None
    if data.tier not in {t.code for t in settings.tiers}:
        raise Unprocessable.field("tier", "no such tier in this programme", code="unknown_tier")
    if data.until is None:
        raise Unprocessable.field("until", "an override needs an end date")
    checked_day(data.until, "until")
    end = dates.local_midnight(settings, data.until + dt.timedelta(days=1))
    if end <= now:
        raise Unprocessable.field("until", "is in the past")
    return end
