"""The vouchers' liability report: what each store has promised, and what each honoured.

A voucher is a liability of the store that issued it (``issued_store_id``; None: HQ) until
it is redeemed, expires or is voided. Its *face value* is what it can take off at most: the
``amount`` of an amount voucher, the ``max_discount`` of an item or capped percent voucher.
A percent voucher without a cap has no face value until it is used: it is counted, not
valued. Redeemed value is what was actually taken off orders, at the store that honoured
it; ``cross_store`` pairs the issuing and honouring stores when they differ, which is what
HQ settles between the chain's stores (as the points liability report does for points).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import case, func, select

from pitstop.sdk import PluginContext
from pitstop_membership.voucher_models import TemplateKind, Voucher, VoucherStatus, VoucherTemplate

OPEN = (VoucherStatus.issued, VoucherStatus.applied)


class StoreVouchers(msgspec.Struct):
    store_id: uuid.UUID | None
    outstanding: int
    """Unused vouchers issued by the store (``issued`` or held by an open order)."""
    outstanding_face_value: int
    redeemed: int
    """Vouchers this store honoured."""
    redeemed_value: int


class VoucherSettlement(msgspec.Struct):
    issued_at_store_id: uuid.UUID | None
    redeemed_at_store_id: uuid.UUID | None
    vouchers: int
    value: int


class VoucherLiability(msgspec.Struct):
    stores: list[StoreVouchers]
    cross_store: list[VoucherSettlement]


def _face() -> Any:
    return case(
        (VoucherTemplate.kind == TemplateKind.amount, VoucherTemplate.amount),
        else_=func.coalesce(VoucherTemplate.max_discount, 0),
    )


def _key(store_id: uuid.UUID | None) -> str:
    return "" if store_id is None else str(store_id)


async def liability(ctx: PluginContext, scope: frozenset[uuid.UUID] | None) -> VoucherLiability:
    """Every store's figures; a store-scoped reader (``scope``) sees only rows naming one of
    their stores."""
    outstanding = await ctx.session.execute(
        select(Voucher.issued_store_id, func.count(), func.sum(_face()))
        .join(VoucherTemplate, VoucherTemplate.id == Voucher.template_id)
        .where(Voucher.status.in_(OPEN))
        .group_by(Voucher.issued_store_id)
    )
    redeemed = await ctx.session.execute(
        select(Voucher.issued_store_id, Voucher.redeemed_store_id, func.count(),
               func.sum(Voucher.discount))
        .where(Voucher.status == VoucherStatus.redeemed)
        .group_by(Voucher.issued_store_id, Voucher.redeemed_store_id)
    )  # fmt: skip
    stores: dict[uuid.UUID | None, StoreVouchers] = {}

    def row(store_id: uuid.UUID | None) -> StoreVouchers:
        return stores.setdefault(store_id, StoreVouchers(store_id, 0, 0, 0, 0))

    for store_id, count, face in outstanding.all():
        row(store_id).outstanding, row(store_id).outstanding_face_value = count, int(face or 0)
    cross: list[VoucherSettlement] = []
    for issued_at, redeemed_at, count, value in redeemed.all():
        honoured = row(redeemed_at)
        honoured.redeemed += count
        honoured.redeemed_value += int(value or 0)
        if issued_at != redeemed_at:
            cross.append(VoucherSettlement(issued_at, redeemed_at, count, int(value or 0)))

    def visible(*ids: uuid.UUID | None) -> bool:
        return scope is None or any(i in scope for i in ids)

    return VoucherLiability(
        stores=[s for k, s in sorted(stores.items(), key=lambda kv: _key(kv[0])) if visible(k)],
        cross_store=sorted(
            (c for c in cross if visible(c.issued_at_store_id, c.redeemed_at_store_id)),
            key=lambda c: (_key(c.issued_at_store_id), _key(c.redeemed_at_store_id)),
        ),
    )
