"""HTTP API of trade-in candidates and the price table, mounted at ``/api/v1/tradein``.

Candidates are store-scoped in SQL (a candidate with neither a service store nor an
owner's home store is HQ's only), their plates masked per the reader's role. They need
``tradein:candidates``, which marketing holds too: a reader who cannot read leads
(``tradein:read``) - marketing - sees only customers who consented to contact as of the
nightly run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import String, cast, delete, select

from pitstop.sdk import (
    Conflict,
    Limit,
    NotFound,
    Page,
    PluginContext,
    Unprocessable,
    checked_instant,
    get_store,
    get_vehicle,
    keyset,
    page_of,
)

from . import leads
from .candidates import WEIGHTS
from .kpis import kpis
from .models import Appraisal, Candidate, PriceRow
from .recon import open_recon_order
from .schemas import CandidateOut, PriceRowIn, PriceTable, candidate_out, price_out

READ, APPROVE = {"permission": "tradein:read"}, {"permission": "tradein:approve"}
APPRAISE = {"permission": "tradein:appraise"}
BOUGHT = frozenset({"purchased", "reconditioned", "sold"})
CANDIDATES = {"permission": "tradein:candidates"}
KPI_WINDOW = dt.timedelta(days=90)


class CandidatesController(Controller):
    path = "/candidates"

    @get("/", opt=CANDIDATES)
    async def list_candidates(
        self,
        ctx: NamedDependency[PluginContext],
        store_id: FromQuery[uuid.UUID | None] = None,
        reason: FromQuery[str | None] = None,
        min_score: FromQuery[int | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[CandidateOut]:
        """Tonight's candidates; a reader who cannot read leads (marketing) sees only
        customers who consented to contact."""
        statement = leads.scoped(ctx, select(Candidate), Candidate.store_id)
        if store_id is not None:
            statement = statement.where(Candidate.store_id == store_id)
        if min_score is not None:
            statement = statement.where(Candidate.score >= min_score)
        if reason is not None:
            if reason not in WEIGHTS:
                raise Unprocessable.field("reason", f"one of {', '.join(sorted(WEIGHTS))}")
            statement = statement.where(cast(Candidate.reasons, String).like(f'%"{reason}"%'))
        if ctx.principal is not None and not ctx.principal.can("tradein:read"):
            statement = statement.where(Candidate.marketing_consent.is_(True))
        rows = (await ctx.session.scalars(keyset(statement, Candidate.id, after, limit))).all()
        items = [candidate_out(r, await _plate(ctx, r.vehicle_id)) for r in rows]
        return page_of(rows, limit, items, lambda c: c.id)


async def _plate(ctx: PluginContext, vehicle_id: uuid.UUID) -> str | None:
    vehicle = await get_vehicle(ctx, vehicle_id)
    return None if vehicle is None else vehicle.plate


class PriceTableController(Controller):
    path = "/price-table"

    @get("/", opt=READ)
    async def show(self, ctx: NamedDependency[PluginContext]) -> PriceTable:
        rows = await ctx.session.scalars(
            select(PriceRow).order_by(PriceRow.make, PriceRow.model, PriceRow.year)
        )
        return PriceTable([price_out(r) for r in rows.all()])

    @put("/", opt=APPROVE)
    async def replace(
        self, ctx: NamedDependency[PluginContext], data: JSONBody[PriceTable]
    ) -> PriceTable:
        """The whole table at once: a row left out is gone (appraisals keep their figures)."""
        keys = [(r.make, r.model, r.year) for r in data.rows]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate is not None:
            raise Unprocessable.field("rows", f"{' '.join(map(str, duplicate))} given twice")
        await ctx.session.execute(delete(PriceRow))
        ctx.session.add_all([PriceRow(**_row(r)) for r in data.rows])
        await ctx.audit(
            "tradein.price_table",
            resource="tradein_price_table",
            resource_id=ctx.tenant_id,
            detail={"rows": len(data.rows)},
        )
        return data


def _row(row: PriceRowIn) -> dict[str, object]:
    return {"make": row.make, "model": row.model, "year": row.year, "base_value": row.base_value}


class KpisController(Controller):
    path = "/kpis"

    @get("/", opt=READ)
    async def report(
        self,
        ctx: NamedDependency[PluginContext],
        start: Annotated[dt.datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.datetime | None, QueryParameter(name="to")] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
    ) -> dict[str, Any]:
        """The funnel of the leads opened in [from, to) (default: the last 90 days, up to
        and including this instant)."""
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


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Unprocessable.field(field, "needs a time zone, e.g. 2026-11-01T00:00:00+08:00")
    return checked_instant(value, field)


class ReconOrderOut(msgspec.Struct):
    lead_id: uuid.UUID
    order_id: uuid.UUID
    store_id: uuid.UUID
    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    """The tenant's internal customer: the car is the shop's now."""
    status: str
    total: int


class AppraisalsController(Controller):
    path = "/appraisals"

    @post("/{appraisal_id:uuid}/recon-order", status_code=200, opt=APPRAISE)
    async def recon_order(
        self, ctx: NamedDependency[PluginContext], appraisal_id: FromPath[uuid.UUID]
    ) -> ReconOrderOut:
        """The car's reconditioning order: the one opened at purchase, or opened now for a
        car bought before purchases opened one. Only once the shop bought the car (409)."""
        appraisal = await ctx.session.get(Appraisal, (ctx.tenant_id, appraisal_id))
        if appraisal is None:
            raise NotFound("no such appraisal", code="tradein_appraisal_not_found")
        lead = await leads.visible(ctx, appraisal.lead_id, lock=True)
        if lead.stage not in BOUGHT:
            raise Conflict(
                f"the car is not bought (stage {lead.stage})",
                code="not_purchased",
                stage=lead.stage,
            )
        order = await open_recon_order(ctx, lead)
        return ReconOrderOut(
            lead.id, order.id, order.store_id, order.vehicle_id, order.customer_id,
            order.status, order.total,
        )  # fmt: skip
