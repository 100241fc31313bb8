"""Invitation codes: short, unambiguous, one active per customer.

Eight characters from an alphabet without 0/O, 1/I/L, so a code read aloud at the front
desk or copied from a phone is typed right. Drawn from ``secrets``: a code is what lets a
stranger claim a referral, so it must not be guessable from the last one.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import NotFound, PluginContext, Unprocessable, get_customer, get_store

from .models import ReferralCode
from .settings import ReferralSettings

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
SHARE = "到店出示推荐码 {code}，首次保养满额后双方各得礼遇"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalised(code: str) -> str:
    return "".join(code.split()).upper()


async def active_code(ctx: PluginContext, customer_id: uuid.UUID) -> ReferralCode | None:
    statement = (
        select(ReferralCode)
        .where(ReferralCode.customer_id == customer_id, ReferralCode.expires_at > ctx.now())
        .order_by(ReferralCode.created_at.desc())
    )
    return (await ctx.session.scalars(statement.limit(1))).first()


async def desk_store(
    ctx: PluginContext, given: uuid.UUID | None, fallback: uuid.UUID | None
) -> uuid.UUID | None:
    """The store a code or a link is made at: the one named (one of the caller's), else the
    caller's own store, else ``fallback``. Another tenant's or store's id is a 422."""
    principal = ctx.principal
    if given is not None:
        store = await get_store(ctx, given)
        if store is None or (principal is not None and not principal.sees_store(store.id)):
            raise Unprocessable.field("store_id", "no such store of yours")
        return store.id
    if principal is not None and principal.store_ids:
        return min(principal.store_ids)
    return fallback


async def issue(
    ctx: PluginContext[ReferralSettings], customer_id: uuid.UUID, store_id: uuid.UUID | None
) -> tuple[ReferralCode, bool]:
    """The customer's active code, or a new one (``True``) when they have none."""
    store = await desk_store(ctx, store_id, None)
    customer = await get_customer(ctx, customer_id)
    if customer is None or customer.erased or customer.internal:  # the shop refers nobody
        raise Unprocessable.field("customer_id", "no such customer", code="unknown_customer")
    found = await active_code(ctx, customer_id)
    if found is not None:
        return found, False
    now = ctx.now()
    valid = dt.timedelta(days=ctx.settings.invite_valid_days)
    for _ in range(5):  # a collision in 31^8 is rare; retry a few times, then give up
        row = ReferralCode(
            code=new_code(), customer_id=customer_id, store_id=store, created_at=now,
            expires_at=now + valid,
        )  # fmt: skip
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(row)
                await ctx.session.flush()
        except IntegrityError:
            continue
        await ctx.audit(
            "referrals.code_issued", resource="referral_code", resource_id=row.id,
            detail={"customer_id": str(customer_id)},
        )  # fmt: skip
        return row, True
    raise RuntimeError("could not draw a free referral code")


async def by_code(ctx: PluginContext, code: str) -> ReferralCode:
    """The code of this tenant; another tenant's or an unknown one is not found."""
    statement = select(ReferralCode).where(ReferralCode.code == normalised(code))
    found = (await ctx.session.scalars(statement)).one_or_none()
    if found is None or found.customer_id is None:
        raise NotFound("no such referral code", code="referral_code_not_found")
    return found
