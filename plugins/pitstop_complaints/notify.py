"""Notifications, recorded per recipient; a repeated reason for the same person is a no-op.

Critical ones (a critical severity such as ``A``, or a top-tier customer) are due at once;
the others are due when the store next opens, so nobody is paged at midnight about a
grade-C complaint (Zammad's users' main grievance). "Due" is ``deliver_at``: the inbox
(``GET /api/v1/complaints/notifications?mine=1``) shows what is due.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import select

from pitstop.sdk import PluginContext, get_store

from .models import Complaint, ComplaintNotification
from .settings import ComplaintSettings


def is_critical(settings: ComplaintSettings, complaint: Complaint) -> bool:
    return complaint.severity in settings.critical_severities or complaint.top_tier


async def deliver_at(
    ctx: PluginContext[ComplaintSettings], complaint: Complaint, now: dt.datetime
) -> dt.datetime:
    if is_critical(ctx.settings, complaint):
        return now
    store = await get_store(ctx, complaint.store_id)
    return now if store is None else store.calendar().next_open(now)


async def notify(
    ctx: PluginContext[ComplaintSettings],
    complaint: Complaint,
    recipients: Iterable[uuid.UUID | None],
    reason: str,
    *,
    already: Collection[uuid.UUID] | None = None,
    flush: bool = True,
) -> int:
    """Record one notification per new recipient; returns how many were added.

    ``already``: who has this reason for this complaint, when the caller read it (a batch
    of SLA firings reads them all at once, :mod:`.firing`); ``flush=False`` leaves the
    rows to the transaction's next flush."""
    wanted = {r for r in recipients if r is not None}
    if not wanted:
        return 0
    existing = set(already) if already is not None else await _notified(ctx, complaint, reason)
    now = ctx.now()
    when = await deliver_at(ctx, complaint, now)
    critical = is_critical(ctx.settings, complaint)
    for recipient in sorted(wanted - existing):
        ctx.session.add(
            ComplaintNotification(
                complaint_id=complaint.id,
                recipient_id=recipient,
                reason=reason,
                critical=critical,
                created_at=now,
                deliver_at=when,
            )
        )
    if flush:
        await ctx.session.flush()
    return len(wanted - existing)


async def _notified(ctx: PluginContext, complaint: Complaint, reason: str) -> set[uuid.UUID]:
    return set(
        (
            await ctx.session.scalars(
                select(ComplaintNotification.recipient_id).where(
                    ComplaintNotification.complaint_id == complaint.id,
                    ComplaintNotification.reason == reason,
                )
            )
        ).all()
    )
