"""A customer's vouchers in the 360° profile, the data-subject export, and erasure.

The profile lists usable vouchers without their codes (the desk reads codes through the
voucher API, under its permission); the export is the customer's own copy and has them.
Erasure blanks the free-text reasons staff typed (a name or phone may be in them) and keeps
every figure: a redeemed voucher is money the chain settles between stores.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from pitstop.sdk import PluginContext, Section
from pitstop_membership.customers import TITLE
from pitstop_membership.voucher_models import Voucher, VoucherStatus, VoucherTemplate

ERASED = "erased"


async def _vouchers(
    ctx: PluginContext, customer_id: uuid.UUID
) -> list[tuple[Voucher, VoucherTemplate]]:
    statement = (
        select(Voucher, VoucherTemplate)
        .join(VoucherTemplate, VoucherTemplate.id == Voucher.template_id)
        .where(Voucher.customer_id == customer_id)
        .order_by(Voucher.id)
    )
    return [(v, t) for v, t in (await ctx.session.execute(statement)).all()]


async def with_vouchers(
    ctx: PluginContext, customer_id: uuid.UUID, section: Section | None
) -> Section | None:
    """The programme's section with the usable vouchers added (a section of its own for a
    customer who holds vouchers but is not a member)."""
    now = ctx.now()
    usable = [
        {
            "id": str(v.id),
            "title": t.title,
            "kind": str(t.kind),
            "valid_until": v.valid_until.isoformat(),
        }
        for v, t in await _vouchers(ctx, customer_id)
        if v.status == VoucherStatus.issued and v.valid_until > now
    ]
    if not usable:
        return section
    if section is None:
        section = Section(title=TITLE, data={})
    section.data["vouchers"] = usable
    return section


async def export(ctx: PluginContext, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": str(v.id),
            "code": v.code,
            "template": t.code,
            "title": t.title,
            "status": str(v.status),
            "reason": v.reason,
            "valid_from": v.valid_from.isoformat(),
            "valid_until": v.valid_until.isoformat(),
            "order_id": str(v.order_id) if v.order_id else None,
            "discount": v.discount,
            "redeemed_store_id": str(v.redeemed_store_id) if v.redeemed_store_id else None,
            "redeemed_at": v.redeemed_at.isoformat() if v.redeemed_at else None,
            "void_reason": v.void_reason,
        }
        for v, t in await _vouchers(ctx, customer_id)
    ]


async def erase(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    await ctx.session.execute(
        update(Voucher)
        .where(Voucher.customer_id == customer_id)
        .values(reason=ERASED)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.execute(
        update(Voucher)
        .where(Voucher.customer_id == customer_id, Voucher.void_reason.is_not(None))
        .values(void_reason=ERASED)
        .execution_options(synchronize_session=False)
    )
