"""The trade-in tile on HQ's KPI board: appraisals, purchases and their conversion.

Counted from the leads' stage history, in SQL, for the board's local days at the stores in
scope (the lead's store; a store-scoped caller's stores only), shown to roles with
``tradein:read``:

* ``appraisals`` - leads first appraised in the period (a re-appraisal counts once, on the
  day of the first);
* ``purchases`` - leads whose car was bought in the period (their move to ``purchased``),
  and ``purchase_total``, the prices paid for them, in fen;
* ``conversion`` - of the leads first appraised in the period, the share bought by the
  period's end (a cohort: a purchase after the period does not change a closed month).

The board asks again with the comparison period for ``previous`` (docs/insights.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import and_, func, select

from pitstop.sdk import KpiTile, Period, PluginContext

from .leads import scoped
from .models import Lead, StageChange

s = StageChange


def _first(ctx: PluginContext, stage: str) -> Any:
    """Each lead's first move to ``stage``: ``(lead_id, at)``."""
    return (
        select(s.lead_id, func.min(s.at).label("at"))
        .where(s.tenant_id == ctx.tenant_id, s.to_stage == stage)
        .group_by(s.lead_id)
        .subquery(f"first_{stage}")
    )


def _in(column: Any, start: dt.datetime, end: dt.datetime) -> Any:
    return and_(column >= start, column < end)


async def tile(ctx: PluginContext, period: Period, store_id: uuid.UUID | None) -> KpiTile | None:
    if ctx.principal is not None and not ctx.principal.can("tradein:read"):
        return None
    start, end = period.start_at, period.end_at
    appraised, purchased = _first(ctx, "appraised"), _first(ctx, "purchased")
    statement = scoped(
        ctx,
        select(
            func.count().filter(_in(appraised.c.at, start, end)),
            func.count().filter(_in(appraised.c.at, start, end), purchased.c.at < end),
            func.count().filter(_in(purchased.c.at, start, end)),
            func.coalesce(func.sum(Lead.purchase_price).filter(_in(purchased.c.at, start, end)), 0),
        )
        .select_from(Lead)
        .outerjoin(appraised, appraised.c.lead_id == Lead.id)
        .outerjoin(purchased, purchased.c.lead_id == Lead.id),
    )
    if store_id is not None:
        statement = statement.where(Lead.store_id == store_id)
    appraisals, converted, purchases, paid = (await ctx.session.execute(statement)).one()
    return KpiTile(
        title="Trade-in",
        figures={
            "appraisals": int(appraisals),
            "purchases": int(purchases),
            "purchase_total": int(paid),
            "conversion": round(int(converted) / int(appraisals), 4) if appraisals else None,
        },
    )
