"""HTTP API of insights: the KPI board (more reports join it as they are built).

Read-only and guarded by ``insights:read``; store scope is applied by the services, in SQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.insights import kpis, segments
from pitstop.insights import series as series_of
from pitstop.insights.kpis import KpiTiles
from pitstop.insights.schemas import KpiBoard
from pitstop.insights.segments import SegmentsReport
from pitstop.insights.series import Interval, Metric, Series
from pitstop.tenancy.periods import Period, checked_period, tenant_timezone

Compare = Literal["previous_period", "previous_year"]


async def _period(
    session: AsyncSession, clock: Clock, first: dt.date | None, last: dt.date | None
) -> Period:
    """The days asked for; a missing ``to`` is today, a missing ``from`` the first of
    ``to``'s month (the tenant's calendar)."""
    timezone = await tenant_timezone(session)
    last = last or clock().astimezone(ZoneInfo(timezone)).date()
    return checked_period(first or last.replace(day=1), last, timezone)


class InsightsController(Controller):
    path = "/insights"
    tags = ["insights"]

    @get("/kpis", opt={"permission": "insights:read"})
    async def kpi_board(
        self,
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        kpi_tiles: NamedDependency[KpiTiles],
        clock: NamedDependency[Clock],
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
        compare: FromQuery[Compare | None] = None,
    ) -> KpiBoard:
        """The chain's and each visible store's figures for the local days ``from`` to
        ``to`` (inclusive), optionally beside a comparison period, and the enabled plugins'
        tiles. Without dates: this month up to today. Formulas: docs/insights.md."""
        period = await _period(session, clock, first, last)
        return await kpis.board(
            session,
            kpi_tiles,
            principal,
            period,
            store_id=store_id,
            compare=period.compared(compare),
        )

    @get("/segments", opt={"permission": "insights:read"})
    async def segments(
        self,
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        store_id: FromQuery[uuid.UUID | None] = None,
    ) -> SegmentsReport:
        """RFM segment sizes and revenue shares from the last nightly run, with the change
        since the run before; a store's customers are those whose home or latest store it
        is. Formulas: docs/insights.md, "RFM"."""
        if store_id is not None:
            await kpis.visible_stores(session, principal, store_id)
        return await segments.report(session, kpis.scope_of(principal, store_id))

    @get("/series", opt={"permission": "insights:read"})
    async def series(
        self,
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        metric: FromQuery[Metric] = "revenue",
        interval: FromQuery[Interval] = "day",
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
    ) -> Series:
        """One KPI per local day, Monday week or month, each point the board's formula for
        its days (at most 120 points). Without dates: this month up to today."""
        period = await _period(session, clock, first, last)
        if store_id is not None:
            await kpis.visible_stores(session, principal, store_id)
        scope = kpis.scope_of(principal, store_id)
        return await series_of.series(session, metric, interval, period, scope)
