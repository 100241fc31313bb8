"""The reward contract's fulfiller: ``reward.requested`` becomes points or a voucher, once.

Exactly once per ``reward_id``: the fulfilment row is claimed (inserted under a unique
index) before anything is given, inside a savepoint. A redelivered event, a duplicate
emitted by a retrying requester, or two deliveries racing on two workers all meet the
same row: on PostgreSQL the second waits for the first's commit and then finds the id
taken, and gives nothing (its answer went out with the first). A rejection is recorded
the same way, so a request answered ``rejected`` stays rejected.

A points reward needs a member (``not_enrolled`` otherwise: joining the programme is the
customer's choice, not a side effect of a referral); a voucher needs only a customer.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import (
    Event,
    PluginContext,
    RewardGranted,
    RewardRejected,
    RewardRequested,
    RewardRevoked,
    get_customer,
)
from pitstop_membership import dates, ledger, views
from pitstop_membership.ledger import Source
from pitstop_membership.models import EntryKind, LedgerEntry
from pitstop_membership.settings import programme
from pitstop_membership.voucher_events import REWARD_GRANTED, REWARD_REJECTED
from pitstop_membership.voucher_models import (
    RewardFulfilment,
    TemplateKind,
    Voucher,
    VoucherTemplate,
)
from pitstop_membership.vouchers import Issue, VoucherRefused, issue, template_by_code, void


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _claim(ctx: PluginContext, request: RewardRequested) -> RewardFulfilment | None:
    """The fulfilment row for this reward id, new; None when the id was answered before."""
    row = RewardFulfilment(
        reward_id=request.reward_id,
        customer_id=request.customer_id,
        kind=request.kind,
        outcome="pending",
        source=msgspec.to_builtins(request.source),
        at=ctx.now(),
    )
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(row)
            await ctx.session.flush()
    except IntegrityError:
        return None
    return row


async def _grant_points(ctx: PluginContext, request: RewardRequested) -> LedgerEntry:
    if request.points <= 0:
        raise Rejected("invalid_request")
    account = await views.find_account(ctx, request.customer_id, lock=True)
    if account is None:
        raise Rejected("not_enrolled")
    now = ctx.now()
    source = Source(key=f"reward:{request.reward_id}", reason=request.reason)
    expires_at = dates.expiry_for(programme(ctx), now)
    return await ledger.credit(
        ctx.session, account, EntryKind.adjust, request.points, source, now, expires_at=expires_at
    )


def face_value(template: VoucherTemplate) -> int | None:
    """Fen a voucher of this template is worth to the requester's cost figures: the sum of a
    fixed-sum one, else the most it takes off; None when uncapped (a percent of any bill)."""
    if template.kind == TemplateKind.amount:
        return template.amount
    return template.max_discount


async def _grant_voucher(
    ctx: PluginContext, request: RewardRequested
) -> tuple[Voucher, int | None]:
    if not request.voucher_template:
        raise Rejected("invalid_request")
    template = await template_by_code(ctx, request.voucher_template)
    if template is None:
        raise Rejected("unknown_template")
    who = Issue(request.customer_id, request.reason, reward_id=request.reward_id)
    try:
        async with ctx.session.begin_nested():
            return await issue(ctx, template, who), face_value(template)
    except VoucherRefused as refused:
        raise Rejected(refused.reason) from None


async def on_reward_requested(ctx: PluginContext, event: Event) -> None:
    try:
        request = msgspec.convert(event.payload, RewardRequested)
    except msgspec.ValidationError:
        return  # checked at emit: only a payload from before a contract change gets here
    row = await _claim(ctx, request)
    if row is None:
        return
    value: int | None = None
    try:
        customer = await get_customer(ctx, request.customer_id)
        if customer is None or customer.erased or customer.internal:
            raise Rejected("unknown_customer")
        if request.kind == "points":
            entry = await _grant_points(ctx, request)
            row.ledger_entry_id = entry.id
        else:
            voucher, value = await _grant_voucher(ctx, request)
            row.voucher_id = voucher.id
    except Rejected as rejected:
        row.outcome, row.reason = "rejected", rejected.reason
        await ctx.session.flush()
        await ctx.emit(REWARD_REJECTED.name, RewardRejected(request.reward_id, rejected.reason))
        return
    row.outcome = "granted"
    await ctx.session.flush()
    await ctx.emit(
        REWARD_GRANTED.name,
        RewardGranted(request.reward_id, row.voucher_id, row.ledger_entry_id, value),
    )


async def on_reward_revoked(ctx: PluginContext, event: Event) -> None:
    """Take a granted reward back: void the voucher if unused, claw the points back (as far
    as the member still holds them). Repeating it changes nothing more."""
    try:
        revoked = msgspec.convert(event.payload, RewardRevoked)
    except msgspec.ValidationError:
        return
    statement = (
        select(RewardFulfilment)
        .where(RewardFulfilment.reward_id == revoked.reward_id)
        .with_for_update()
    )
    row = (await ctx.session.scalars(statement)).one_or_none()
    if row is None or row.outcome != "granted":
        return
    row.outcome, row.reason = "revoked", "revoked"
    if row.voucher_id is not None:
        voucher = await ctx.session.get(Voucher, (ctx.tenant_id, row.voucher_id))
        if voucher is not None:
            await void(ctx, voucher, revoked.reason)
    if row.ledger_entry_id is not None:
        await _claw_back(ctx, row, revoked)
    await ctx.session.flush()


async def _claw_back(ctx: PluginContext, row: RewardFulfilment, revoked: RewardRevoked) -> None:
    entry = await ctx.session.get(LedgerEntry, (ctx.tenant_id, row.ledger_entry_id))
    account = await ledger.lock_account(ctx.session, row.customer_id)
    if entry is None or account is None:
        return
    points = min(entry.points, account.balance)
    if points > 0:
        source = Source(key=f"revoke:{row.reward_id}", reason=revoked.reason)
        await ledger.debit(ctx.session, account, points, source, ctx.now())
