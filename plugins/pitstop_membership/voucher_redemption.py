"""Vouchers on service orders: validated and held when a code is typed (the core's
``redeem_code`` hook), redeemed when the order completes, given back when it is refunded.

Holding is one conditional UPDATE (``status = 'issued'`` -> ``applied`` with the order's
id): on PostgreSQL a second front desk trying the same code at the same instant waits for
the first's row lock, then finds the row no longer ``issued`` and is refused, so a voucher
is on at most one order. The discount is worked out here (the voucher's rules are the
plugin's) and handed to the core as a :class:`~pitstop.sdk.DiscountOffer`, which adds the
``discount`` lines in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

from sqlalchemy import select, update

from pitstop.sdk import DiscountOffer, Event, PluginContext, ServiceOrderView, Unprocessable
from pitstop_membership.voucher_models import (
    TemplateKind,
    Voucher,
    VoucherStatus,
    VoucherTemplate,
)
from pitstop_membership.vouchers import normalise


def _refuse(message: str, code: str) -> Unprocessable:
    """Every refusal names the field typed (``code``) and never repeats its value."""
    return Unprocessable.field("code", message, code=code)


def eligible_amounts(template: VoucherTemplate, order: ServiceOrderView) -> dict[str, int]:
    """The order's money the voucher may come off: its categories' (all when none named)."""
    wanted = set(template.categories)
    return {
        category: amount
        for category, amount in order.amounts.items()
        if amount > 0 and (not wanted or category in wanted)
    }


def discount_for(template: VoucherTemplate, eligible: Mapping[str, int]) -> int:
    """Fen off: a fixed sum, a share (floored, capped), or one item up to its cap; never
    more than the eligible lines hold."""
    base = sum(eligible.values())
    if template.kind == TemplateKind.amount:
        wanted = template.amount or 0
    elif template.kind == TemplateKind.percent:
        wanted = base * (template.percent or 0) // 100
    else:
        wanted = template.max_discount or 0
    if template.max_discount is not None:
        wanted = min(wanted, template.max_discount)
    return min(wanted, base)


def spread(total: int, eligible: Mapping[str, int]) -> dict[str, int]:
    """Take ``total`` off the largest categories first (ties by name): deterministic, and
    each category keeps at least zero."""
    parts: dict[str, int] = {}
    left = total
    for category, amount in sorted(eligible.items(), key=lambda kv: (-kv[1], kv[0])):
        if left <= 0:
            break
        take = min(left, amount)
        parts[category] = take
        left -= take
    return parts


async def _voucher_by_code(ctx: PluginContext, code: str) -> Voucher | None:
    statement = select(Voucher).where(Voucher.code == normalise(code))
    return (await ctx.session.scalars(statement)).one_or_none()


def _check_usable(
    voucher: Voucher, template: VoucherTemplate, order: ServiceOrderView, now: dt.datetime
) -> None:
    if voucher.status == VoucherStatus.applied and voucher.order_id == order.id:
        raise _refuse("this voucher is already on this order", "voucher_already_applied")
    if voucher.status != VoucherStatus.issued or voucher.valid_until <= now:
        status = "expired" if voucher.status == VoucherStatus.issued else voucher.status
        raise _refuse(f"this voucher is {status}", f"voucher_{status}")
    if voucher.valid_from > now:
        raise _refuse("this voucher is not valid yet", "voucher_not_yet_valid")
    if voucher.customer_id != order.customer_id:
        raise _refuse("this voucher belongs to another customer", "voucher_of_another_customer")
    if template.stores and str(order.store_id) not in template.stores:
        raise _refuse("this voucher cannot be used at this store", "voucher_not_for_store")
    if order.total < template.min_spend:
        raise _refuse(
            f"the order must come to at least {template.min_spend} fen", "voucher_min_spend"
        )


async def redeem_code(
    ctx: PluginContext, order: ServiceOrderView, code: str
) -> DiscountOffer | None:
    """The ``redeem_code`` hook: None for a code that is not a voucher of this tenant."""
    voucher = await _voucher_by_code(ctx, code)
    if voucher is None:
        return None
    template = await ctx.session.get(VoucherTemplate, (ctx.tenant_id, voucher.template_id))
    assert template is not None  # a composite foreign key
    _check_usable(voucher, template, order, ctx.now())
    eligible = eligible_amounts(template, order)
    discount = discount_for(template, eligible)
    if discount <= 0:
        raise _refuse("no line of this order is one the voucher applies to", "voucher_no_lines")
    held = await ctx.session.execute(
        update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.issued)
        .values(status=VoucherStatus.applied, order_id=order.id, discount=discount)
        .execution_options(synchronize_session=False)
    )
    if held.rowcount != 1:  # type: ignore[attr-defined]
        raise _refuse("this voucher was just used on another order", "voucher_applied")
    return DiscountOffer(
        description=f"{template.title} (voucher)",
        amounts=spread(discount, eligible),
        reference=voucher.id,
    )


async def on_order_completed(ctx: PluginContext, event: Event) -> None:
    """The vouchers on the order are redeemed, by the store that completed it."""
    await ctx.session.execute(
        update(Voucher)
        .where(
            Voucher.order_id == uuid.UUID(event.payload["order_id"]),
            Voucher.status == VoucherStatus.applied,
        )
        .values(
            status=VoucherStatus.redeemed,
            redeemed_store_id=uuid.UUID(event.payload["store_id"]),
            redeemed_at=event.occurred_at,
        )
        .execution_options(synchronize_session=False)
    )


async def on_order_refunded(ctx: PluginContext, event: Event) -> None:
    """A refunded order gives its vouchers back while they are valid; else they expire."""
    now = ctx.now()
    order_id = uuid.UUID(event.payload["order_id"])
    statement = select(Voucher).where(
        Voucher.order_id == order_id, Voucher.status == VoucherStatus.redeemed
    )
    for voucher in (await ctx.session.scalars(statement.with_for_update())).all():
        if voucher.valid_until > now:
            voucher.status, voucher.order_id, voucher.discount = VoucherStatus.issued, None, 0
            voucher.redeemed_store_id, voucher.redeemed_at = None, None
        else:
            voucher.status = VoucherStatus.expired
    await ctx.session.flush()
