"""The demo's vouchers: a welcome-back campaign with a few vouchers issued to members.

Idempotent as ``demo_data`` must be: the campaign's template is the marker, and a second
``pitstop demo`` that finds it issues nothing more.
"""

from __future__ import annotations

from sqlalchemy import select

from pitstop.sdk import PluginContext
from pitstop_membership.models import MemberAccount
from pitstop_membership.voucher_models import TemplateKind, VoucherTemplate
from pitstop_membership.vouchers import Issue, issue, template_by_code

CAMPAIGN = "WELCOME50"
HOLDERS = 5


async def issue_demo_vouchers(ctx: PluginContext) -> str:
    if await template_by_code(ctx, CAMPAIGN) is not None:
        return "vouchers already issued"
    template = VoucherTemplate(
        code=CAMPAIGN,
        title="回店礼 ¥50 维修券",
        kind=TemplateKind.amount,
        amount=5_000,
        min_spend=20_000,
        categories=[],
        stores=[],
        valid_days=90,
        budget=1_000,
        issued=0,
        active=True,
    )
    ctx.session.add(template)
    await ctx.session.flush()
    statement = select(MemberAccount.customer_id).order_by(MemberAccount.id).limit(HOLDERS)
    holders = (await ctx.session.scalars(statement)).all()
    for customer_id in holders:
        await issue(ctx, template, Issue(customer_id, "回店礼 welcome back"))
    return f"{len(holders)} {CAMPAIGN} vouchers"
