"""HQ's KPI board at the console: the chain and each store, a date range, charts.

The figures are the insights services the API's ``/insights/kpis``, ``/insights/series``
and ``/insights/segments`` call (``insights.kpis.board``, ``insights.series.series``,
``insights.segments.report``) with the reader's store scope, the plugins' tiles included
(membership's points outstanding among them). Charts are SVG drawn on the server
(:mod:`pitstop.console.charts`), each beside a table of the same numbers. A date the
services refuse is named beside its field; the page is never a 500 for a typed date.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.console import charts
from pitstop.console.forms import FormErrors
from pitstop.console.i18n import N_
from pitstop.console.view import Desk, shown
from pitstop.db.base import Clock
from pitstop.errors import Unprocessable
from pitstop.insights import kpis, segments
from pitstop.insights import series as series_of
from pitstop.insights.kpis import KpiTiles
from pitstop.tenancy.periods import Period, checked_period, tenant_timezone

SERIES_METRIC: series_of.Metric = "revenue"
REVENUE = N_("Revenue")
STORE_REVENUE = N_("Revenue by store")
SEGMENT_SIZES = N_("Customers by segment")


def _day(text: str | None, field: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormErrors({field: "must be a date (YYYY-MM-DD)"}) from None


async def asked_period(
    session: AsyncSession, clock: Clock, first: str | None, last: str | None
) -> Period:
    """The API's default: ``to`` is today, ``from`` the first of ``to``'s month."""
    errors: dict[str, str] = {}
    days: dict[str, dt.date | None] = {}
    for field, text in (("from", first), ("to", last)):
        try:
            days[field] = _day(text, field)
        except FormErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    timezone = await tenant_timezone(session)
    end = days["to"] or clock().astimezone(ZoneInfo(timezone)).date()
    try:
        return checked_period(days["from"] or end.replace(day=1), end, timezone)
    except Unprocessable as exc:
        raise FormErrors(
            {e.get("field", "from"): e.get("message", "") for e in exc.errors}
        ) from exc


def interval_for(period: Period) -> series_of.Interval:
    """Days for two months, weeks up to two years, months beyond (at most 120 points)."""
    days = (period.last - period.first).days + 1
    return "day" if days <= 62 else "week" if days <= 7 * 104 else "month"


class KpiPages(Controller):
    path = "/hq/kpis"

    @get("/", opt={"permission": "insights:read"})
    async def board(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        kpi_tiles: NamedDependency[KpiTiles],
        clock: NamedDependency[Clock],
        first: Annotated[str | None, QueryParameter(name="from")] = None,
        last: Annotated[str | None, QueryParameter(name="to")] = None,
        store: FromQuery[str | None] = None,
    ) -> Template:
        """The board for the days asked (``?from=&to=&store=``), with the revenue of the
        period before beside it (only that is shown of it, so only that is asked for), a
        revenue chart, revenue by store and the RFM segment sizes."""
        form = {"from": first or "", "to": last or "", "store": store or ""}
        stores = await kpis.visible_stores(session, principal, None)
        store_id = next((sid for sid, code in stores if str(sid) == form["store"]), None)
        try:
            period = await asked_period(session, clock, first, last)
        except FormErrors as exc:
            return desk.page("kpis.html", 422, form=form, stores=stores, errors=exc.errors)
        board = await kpis.board(
            session, kpi_tiles, principal, period, store_id=store_id, compare=None
        )
        scope = kpis.scope_of(principal, store_id)
        before = await kpis.revenue(session, period.previous_period(), scope)
        interval = interval_for(period)
        line = await series_of.series(session, SERIES_METRIC, interval, period, scope)
        report = await segments.report(session, scope)
        return desk.page(
            "kpis.html",
            form=form | {"from": period.first.isoformat(), "to": period.last.isoformat()},
            stores=stores,
            errors={},
            board=_labelled(desk, shown(board)),
            before={"chain": before.get(None, 0)}
            | {str(sid): before.get(sid, 0) for sid, _code in stores},
            report=shown(report),
            charts=_charts(desk, line, board, report),
        )


def _labelled(desk: Desk, board: dict[str, Any]) -> dict[str, Any]:
    """The plugins' tiles in the reader's words: titles, labelled and formatted figures."""
    board["plugins"] = [desk.plugin_part(tile, "figures") for tile in board["plugins"]]
    return board


def _charts(desk: Desk, line: Any, board: Any, report: Any) -> dict[str, str]:
    """Titles in the reader's language; money in yuan on the axes."""
    _ = desk.context()["gettext"]
    labels = [p.start.strftime("%m-%d") for p in line.points]
    values = [None if p.value is None else p.value / 100 for p in line.points]
    drawn = {"revenue": charts.line(_(REVENUE), labels, values)}
    if len(board.stores) > 1:
        drawn["stores"] = charts.bars(
            _(STORE_REVENUE),
            [s.code for s in board.stores],
            [s.revenue / 100 for s in board.stores],
        )
    if report.segments:
        drawn["segments"] = charts.bars(
            _(SEGMENT_SIZES),
            [s.segment for s in report.segments],
            [s.customers for s in report.segments],
        )
    return drawn
