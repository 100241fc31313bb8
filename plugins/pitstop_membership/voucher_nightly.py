"""The vouchers' night (02:10 tenant time): expire what ended, warn what ends within 7 days
(an event for plugins, and a ``voucher_expiring`` service message to the customer).

Both are single statements over the tenant's vouchers and safe to repeat: an expired
voucher is no longer ``issued``, a warned one is flagged. Only ``issued`` vouchers expire;
one held by an open order (``applied``) is honoured when the order completes, and one the
order's refund gives back after its end expires then (:mod:`.voucher_redemption`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from pitstop.sdk import PluginContext
from pitstop_membership import dates
from pitstop_membership.settings import programme
from pitstop_membership.voucher_events import VOUCHER_EXPIRING, VoucherExpiring
from pitstop_membership.voucher_models import Voucher, VoucherStatus, VoucherTemplate

EXPIRING_WITHIN = dt.timedelta(days=7)


async def run(ctx: PluginContext) -> None:
    await expire_vouchers(ctx)
    await warn_expiring(ctx)


async def expire_vouchers(ctx: PluginContext) -> int:
    result = await ctx.session.execute(
        update(Voucher)
        .where(Voucher.status == VoucherStatus.issued, Voucher.valid_until <= ctx.now())
        .values(status=VoucherStatus.expired)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def warn_expiring(ctx: PluginContext) -> int:
    """One ``voucher.expiring`` per unused voucher ending within 7 days (ids only)."""
    now = ctx.now()
    statement = (
        select(Voucher, VoucherTemplate.title)
        .join(VoucherTemplate, VoucherTemplate.id == Voucher.template_id)
        .where(
            Voucher.status == VoucherStatus.issued,
            Voucher.expiring_notified.is_(False),
            Voucher.valid_until > now,
            Voucher.valid_until <= now + EXPIRING_WITHIN,
        )
        .order_by(Voucher.id)
    )
    vouchers = (await ctx.session.execute(statement)).all()
    settings = programme(ctx)
    for voucher, title in vouchers:
        voucher.expiring_notified = True
        await ctx.emit(
            VOUCHER_EXPIRING.name,
            VoucherExpiring(
                voucher.id, voucher.customer_id, voucher.template_id, voucher.valid_until
            ),
        )
        last_day = dates.local_date(settings, voucher.valid_until - dt.timedelta(seconds=1))
        await ctx.notify(  # the customer hears of it too, under the tenant's rules
            customer_id=voucher.customer_id,
            purpose="service",
            template="voucher_expiring",
            data={"title": title, "valid_until": last_day.isoformat()},
            dedupe_key=f"voucher_expiring:{voucher.id}",
        )
    await ctx.session.flush()
    return len(vouchers)
