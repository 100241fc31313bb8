"""Calendar rules of the programme, counted in the programme's time zone.

"Expires at the end of the month twelve months on" and "the member's yearly review date"
are local-calendar ideas: 23:30 on 31 March in Shanghai is already April in UTC terms the
other way round. Everything here takes and returns aware UTC datetimes (or local dates)
and converts at the edge, like the core's business calendar does.
"""

from __future__ import annotations

import calendar
import datetime as dt

from pitstop_membership.settings import MembershipSettings


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (or earlier), clamped to the month's end."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def local_date(settings: MembershipSettings, at: dt.datetime) -> dt.date:
    return at.astimezone(settings.zone).date()


def local_midnight(settings: MembershipSettings, day: dt.date) -> dt.datetime:
    """The start of local ``day`` as a UTC instant."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=settings.zone)
    return local.astimezone(dt.UTC)


def expiry_for(settings: MembershipSettings, earned_at: dt.datetime) -> dt.datetime | None:
    """When points earned at ``earned_at`` expire (None: the programme never expires them).

    At month end: the first local instant of the month after the month ``lifetime``
    months on, so points earned any day in March 2026 all expire as April 2027 begins.
    """
    months = settings.point_lifetime_months
    if months == 0:
        return None
    if settings.expire_at_month_end:
        last_month = add_months(local_date(settings, earned_at).replace(day=1), months)
        return local_midnight(settings, add_months(last_month, 1))
    local = earned_at.astimezone(settings.zone)
    moved = add_months(local.date(), months)
    return dt.datetime.combine(moved, local.timetz()).astimezone(dt.UTC)


def available_from(settings: MembershipSettings, earned_at: dt.datetime) -> dt.datetime:
    """When earned points may be spent: after the pending period (refund window)."""
    return earned_at + dt.timedelta(days=settings.pending_days)


def window_start(settings: MembershipSettings, at: dt.datetime) -> dt.datetime:
    """The start of the rolling qualification window that ends at ``at``."""
    moved = add_months(at.date(), -settings.qualification_window_months)
    return dt.datetime.combine(moved, at.timetz())


def first_review(settings: MembershipSettings, enrolled_at: dt.datetime) -> dt.date:
    """The member's yearly review date: the anniversary of enrolment."""
    return add_months(local_date(settings, enrolled_at), 12)


def is_birthday_month(
    settings: MembershipSettings, birthday: dt.date | None, at: dt.datetime
) -> bool:
    return birthday is not None and birthday.month == local_date(settings, at).month
