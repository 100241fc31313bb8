"""Issuing and ending vouchers: codes, validity, budgets, voids, expiry.

A code is the voucher's bearer secret: 12 characters from an alphabet without the letters
a front desk misreads (no 0/O, 1/I/L), drawn by :mod:`secrets` (32^12, about 10^18), unique
per tenant by a unique index; a collision draws again. It appears in the API's answers to
staff who may see the voucher and nowhere else: never in a log line, an error message or
an event payload (those carry the voucher's id).

Issuing counts against the template's budget with one conditional UPDATE
(``issued < budget``), so two front desks issuing the last voucher of a campaign at the
same instant issue one, on PostgreSQL as on SQLite.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import PluginContext
from pitstop_membership import dates
from pitstop_membership.settings import programme
from pitstop_membership.voucher_models import Voucher, VoucherStatus, VoucherTemplate

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""31 characters: no 0/O, 1/I/L, so a code read aloud or off a screenshot is typed right."""
CODE_LENGTH = 12
MAX_DRAWS = 5


class VoucherRefused(Exception):
    """Why a voucher cannot be issued, as the reward contract's reason code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Issue:
    """Who gets which voucher, why, and on whose behalf."""

    customer_id: uuid.UUID
    reason: str
    store_id: uuid.UUID | None = None
    issued_by: uuid.UUID | None = None
    reward_id: uuid.UUID | None = None


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """What staff type: lower case, spaces and dashes forgiven (``abcd-efgh-jkmn``)."""
    return code.strip().upper().replace("-", "").replace(" ", "")


async def template_by_code(ctx: PluginContext, code: str) -> VoucherTemplate | None:
    statement = select(VoucherTemplate).where(VoucherTemplate.code == code)
    return (await ctx.session.scalars(statement)).one_or_none()


def valid_until(ctx: PluginContext, template: VoucherTemplate, now: dt.datetime) -> dt.datetime:
    """The first instant the voucher no longer counts: the end of the last valid local day."""
    settings = programme(ctx)
    if template.valid_days is not None:
        last = dates.local_date(settings, now) + dt.timedelta(days=template.valid_days)
    else:
        assert template.valid_until is not None  # one of the two, checked at creation
        last = template.valid_until
    return dates.local_midnight(settings, last + dt.timedelta(days=1))


async def _count_against_budget(ctx: PluginContext, template: VoucherTemplate) -> None:
    result = await ctx.session.execute(
        update(VoucherTemplate)
        .where(
            VoucherTemplate.id == template.id,
            VoucherTemplate.active.is_(True),
            or_(VoucherTemplate.budget.is_(None), VoucherTemplate.issued < VoucherTemplate.budget),
        )
        .values(issued=VoucherTemplate.issued + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await ctx.session.refresh(template)
        if not template.active:
            raise VoucherRefused("template_inactive", "this voucher template is deactivated")
        raise VoucherRefused("budget_exhausted", "this voucher template's budget is spent")
    await ctx.session.refresh(template)


async def issue(ctx: PluginContext, template: VoucherTemplate, who: Issue) -> Voucher:
    """A new voucher of ``template`` for the customer, counted against its budget."""
    if not template.active:
        raise VoucherRefused("template_inactive", "this voucher template is deactivated")
    now = ctx.now()
    until = valid_until(ctx, template, now)
    if until <= now:
        raise VoucherRefused("template_expired", "this voucher template's validity has ended")
    await _count_against_budget(ctx, template)
    for _ in range(MAX_DRAWS):
        voucher = Voucher(
            template_id=template.id,
            customer_id=who.customer_id,
            code=new_code(),
            status=VoucherStatus.issued,
            reason=who.reason,
            valid_from=now,
            valid_until=until,
            issued_store_id=who.store_id,
            issued_by=who.issued_by,
            reward_id=who.reward_id,
        )
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(voucher)
                await ctx.session.flush()
        except IntegrityError:
            continue  # the code was drawn before in this tenant: draw again
        return voucher
    raise RuntimeError("could not draw an unused voucher code")  # 31^12: never in practice


async def void(ctx: PluginContext, voucher: Voucher, reason: str) -> bool:
    """Void an unused voucher (issued, not on an order); False when it is no longer unused."""
    result = await ctx.session.execute(
        update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.issued)
        .values(status=VoucherStatus.void, voided_at=ctx.now(), void_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.refresh(voucher)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
