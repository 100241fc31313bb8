"""HTTP API of referrals, mounted at ``/api/v1/referrals``.

A referral path goes through :func:`~.lifecycle.visible`: another tenant's or another
store's referral is a 404. Codes are the tenant's (any store's front desk may look one up),
and a code of another tenant is simply unknown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from pitstop.sdk import (
    Limit,
    NotFound,
    Page,
    PluginContext,
    Unprocessable,
    checked_instant,
    get_customer,
    get_store,
    keyset,
    page_of,
)

from . import codes, lifecycle, linking
from .kpis import kpis
from .models import Referral, ReferralReward
from .schemas import (
    STATUSES,
    CodeIn,
    CodeLookup,
    CodeOut,
    Decision,
    LinkIn,
    ReferralOut,
    code_out,
    referral_out,
)

READ, MANAGE = {"permission": "referrals:read"}, {"permission": "referrals:manage"}
REVIEW = {"permission": "referrals:review"}
KPI_WINDOW = dt.timedelta(days=90)


class CodesController(Controller):
    path = "/codes"

    @post("/", opt=MANAGE)
    async def issue(
        self, ctx: NamedDependency[PluginContext], data: JSONBody[CodeIn]
    ) -> Response[CodeOut]:
        """The customer's active code: 201 when made now, 200 when they had one."""
        row, made = await codes.issue(ctx, data.customer_id, data.store_id)
        return Response(code_out(row, codes.SHARE), status_code=201 if made else 200)

    @get("/{code:str}", opt=READ)
    async def lookup(self, ctx: NamedDependency[PluginContext], code: FromPath[str]) -> CodeLookup:
        row = await codes.by_code(ctx, code)
        assert row.customer_id is not None
        customer = await get_customer(ctx, row.customer_id)
        name = None if customer is None else customer.masked_name
        return CodeLookup(row.code, name, row.expires_at > ctx.now(), row.expires_at)


class ReferralsController(Controller):
    path = "/"

    @post("/", status_code=201, opt=MANAGE)
    async def link(
        self, ctx: NamedDependency[PluginContext], data: JSONBody[LinkIn]
    ) -> ReferralOut:
        return referral_out(await linking.link(ctx, data))

    @get("/", opt=READ)
    async def list_referrals(
        self,
        ctx: NamedDependency[PluginContext],
        status: FromQuery[str | None] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
        referrer_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[ReferralOut]:
        if status is not None and status not in STATUSES:
            raise Unprocessable.field("status", f"one of {', '.join(STATUSES)}")
        statement = lifecycle.scoped(ctx, select(Referral))
        for column, value in (
            (Referral.status, status),
            (Referral.store_id, store_id),
            (Referral.referrer_id, referrer_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        rows = (await ctx.session.scalars(keyset(statement, Referral.id, after, limit))).all()
        return page_of(rows, limit, [referral_out(r) for r in rows], lambda r: r.id)

    @get("/{referral_id:uuid}", opt=READ)
    async def show(
        self, ctx: NamedDependency[PluginContext], referral_id: FromPath[uuid.UUID]
    ) -> ReferralOut:
        referral = await lifecycle.visible(ctx, referral_id)
        return referral_out(referral, await _rewards(ctx, referral.id))

    @post("/{referral_id:uuid}/approve", status_code=200, opt=REVIEW)
    async def approve(
        self,
        ctx: NamedDependency[PluginContext],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[Decision],
    ) -> ReferralOut:
        return await _decide(ctx, referral_id, data, approve=True)

    @post("/{referral_id:uuid}/reject", status_code=200, opt=REVIEW)
    async def reject(
        self,
        ctx: NamedDependency[PluginContext],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[Decision],
    ) -> ReferralOut:
        return await _decide(ctx, referral_id, data, approve=False)

    @get("/kpis", opt=READ)
    async def report(
        self,
        ctx: NamedDependency[PluginContext],
        start: Annotated[dt.datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.datetime | None, QueryParameter(name="to")] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
    ) -> dict[str, Any]:
        """The funnel of referrals linked in [from, to) (default: the last 90 days)."""
        end = _aware(end, "to") or ctx.now() + dt.timedelta(microseconds=1)
        start = _aware(start, "from") or end - KPI_WINDOW
        if start >= end:
            raise Unprocessable.field("from", "must be before to")
        if store_id is not None and (
            await get_store(ctx, store_id) is None
            or (ctx.principal is not None and not ctx.principal.sees_store(store_id))
        ):
            raise NotFound("no such store of yours", code="store_not_found")
        return await kpis(ctx, start, end, store_id)


async def _rewards(ctx: PluginContext, referral_id: uuid.UUID) -> list[ReferralReward]:
    statement = select(ReferralReward).where(ReferralReward.referral_id == referral_id)
    return list((await ctx.session.scalars(statement.order_by(ReferralReward.side))).all())


async def _decide(
    ctx: PluginContext, referral_id: uuid.UUID, data: Decision, *, approve: bool
) -> ReferralOut:
    referral = await lifecycle.visible(ctx, referral_id, lock=True)
    await lifecycle.decide(ctx, referral, approve, data.reason.strip())
    return referral_out(referral, await _rewards(ctx, referral.id))


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Unprocessable.field(field, "needs a time zone, e.g. 2026-11-01T00:00:00+08:00")
    return checked_instant(value, field)
