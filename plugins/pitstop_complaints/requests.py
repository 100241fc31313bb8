"""Complaints other plugins ask for: ``complaint.requested`` (retention's low survey score).

The complaints plugin decides: with ``open_requested`` on, it logs the complaint through
the same intake as the front desk (routing, SLA clocks, ``complaint.created``), on the
channel ``survey``; a severity or category it does not know falls back to its mildest
severity and ``other``. Each ``request_id`` is answered once — a row keyed by it, written
with the complaint — so a redelivered or re-emitted request opens nothing more. A request
it cannot honour (the customer erased, the store not the tenant's) is recorded as refused,
not retried for ever.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from pitstop.sdk import Event, PluginContext, Unprocessable

from .intake import log_complaint
from .models import ComplaintRequest
from .schemas import ComplaintCreate
from .settings import CATEGORIES, ComplaintSettings

DESCRIPTIONS = {"survey": "回访低分：客户对本次服务评分偏低，请尽快联系客户。"}


def _body(settings: ComplaintSettings, payload: dict[str, Any]) -> ComplaintCreate:
    severity = payload.get("severity")
    category = payload.get("category")
    source_type = str(payload.get("source", {}).get("type", ""))
    return ComplaintCreate(
        customer_id=uuid.UUID(payload["customer_id"]),
        store_id=uuid.UUID(payload["store_id"]),
        severity=severity if severity in settings.severities else settings.severities[-1],
        category=category if category in CATEGORIES else "other",
        channel="survey",
        description=DESCRIPTIONS.get(source_type, "其他业务模块请求登记的投诉。"),
    )


async def on_complaint_requested(ctx: PluginContext[ComplaintSettings], event: Event) -> None:
    payload = event.payload
    request_id = uuid.UUID(payload["request_id"])
    seen = await ctx.session.scalars(
        select(ComplaintRequest).where(ComplaintRequest.request_id == request_id)
    )
    if seen.one_or_none() is not None:
        return
    source = payload.get("source", {})
    row = ComplaintRequest(
        request_id=request_id,
        outcome="refused",
        source=f"{source.get('plugin')}/{source.get('type')}/{source.get('id')}"[:120],
        requested_at=event.occurred_at,
    )
    if ctx.settings.open_requested:
        try:
            async with ctx.session.begin_nested():
                complaint = await log_complaint(ctx, _body(ctx.settings, payload))
            row.complaint_id, row.outcome = complaint.id, "opened"
        except Unprocessable:
            pass  # nothing of it was kept; the refusal is recorded below
    # A concurrent delivery of the same request fails here on the unique key, rolling back
    # its complaint with it; its retry finds this row and opens nothing.
    ctx.session.add(row)
    await ctx.session.flush()
