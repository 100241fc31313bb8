"""Reporting periods: whole local days of the tenant, turned into UTC instants once.

An HQ asks for "1 to 31 March" in the chain's own time zone; the database holds UTC. A
:class:`Period` is the inclusive local days plus the zone, and answers the half-open UTC
range ``[start_at, end_at)`` every query compares with, so the service-order list and the
KPI board cannot disagree about an order completed at 23:30 local time on the last day.
Comparison periods (the one before, the same one a year earlier) and the look-back windows
of retention figures are computed here, in Python, and reach SQL as plain parameters:
no dialect's date arithmetic is involved, so SQLite and PostgreSQL count the same rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import Unprocessable
from pitstop.inputs import checked_day
from pitstop.tenancy.models import Tenant

DEFAULT_TIMEZONE = "Asia/Shanghai"


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (or earlier), clamped to the month's end (31 Aug + 6 = 28/29
    Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def local_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """The UTC instant a local day starts at in ``timezone``."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class Period:
    """The local days ``first`` to ``last`` inclusive, in ``timezone``."""

    first: dt.date
    last: dt.date
    timezone: str = DEFAULT_TIMEZONE

    def midnight(self, day: dt.date) -> dt.datetime:
        return local_midnight(day, self.timezone)

    @property
    def start_at(self) -> dt.datetime:
        return self.midnight(self.first)

    @property
    def end_at(self) -> dt.datetime:
        """Exclusive: the first instant after the last day."""
        return self.midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def months_before_end(self, months: int) -> dt.datetime:
        """The instant ``months`` whole months before :attr:`end_at` (a look-back window)."""
        return self.midnight(add_months(self.last + dt.timedelta(days=1), -months))

    def previous_period(self) -> Period:
        """As many days, ending the day before this one starts."""
        shift = dt.timedelta(days=self.days)
        return Period(self.first - shift, self.last - shift, self.timezone)

    def previous_year(self) -> Period:
        """The same days a year earlier (29 February becomes the 28th)."""
        return Period(add_months(self.first, -12), add_months(self.last, -12), self.timezone)

    def compared(self, compare: str | None) -> Period | None:
        if compare is None:
            return None
        if compare == "previous_period":
            return self.previous_period()
        if compare == "previous_year":
            return self.previous_year()
        raise Unprocessable.field("compare", "use previous_period or previous_year")


def checked_period(first: dt.date, last: dt.date, timezone: str) -> Period:
    """``from``/``to`` as a period, or 422 naming the parameter at fault."""
    checked_day(first, "from")
    checked_day(last, "to")
    if last < first:
        raise Unprocessable.field("to", "is before from")
    return Period(first, last, timezone)


async def tenant_timezone(session: AsyncSession) -> str:
    """The time zone of the tenant in context: its business days are counted in it."""
    zone = await session.scalar(select(Tenant.timezone).where(Tenant.id == current_tenant_id()))
    return zone or DEFAULT_TIMEZONE
