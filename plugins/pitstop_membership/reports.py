"""Chain settlement: which store's points are outstanding, and who owes whom for redemptions.

A point is a liability of the store that issued it (the lot's store) until it is redeemed,
expires or is taken back. When a member earns at store X and spends at store Y, Y gave the
discount and X holds the liability: HQ settles X -> Y. Lot movements record both stores of
every deduction, so the matrix is a ``GROUP BY`` over them, not an estimate. Points with
no store (HQ grants, online redemptions) appear under ``store_id: null``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select

from pitstop.sdk import PluginContext
from pitstop_membership.models import LotKind, LotMovement, MovementKind, PointLot
from pitstop_membership.schemas import LiabilityReport, Settlement, StoreLiability

StoreKey = uuid.UUID | None
_FLOWS = {
    MovementKind.redeem: "redeemed",
    MovementKind.expire: "expired",
    MovementKind.reverse: "reversed",
    MovementKind.adjust: "reversed",
}


async def liability(
    ctx: PluginContext,
    start: dt.datetime,
    end: dt.datetime,
    stores: frozenset[uuid.UUID] | None,
) -> LiabilityReport:
    """Flows within [start, end) and what is outstanding at ``end``, per store.

    ``stores`` narrows the report to a store-scoped caller's stores (None: every store).
    """
    rows: dict[StoreKey, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("issued", "redeemed", "expired", "reversed", "outstanding"), 0)
    )
    issued = (
        select(PointLot.store_id, func.sum(PointLot.points))
        .where(PointLot.kind != LotKind.debt, PointLot.earned_at >= start, PointLot.earned_at < end)
        .group_by(PointLot.store_id)
    )
    for store, points in (await ctx.session.execute(issued)).all():
        rows[store]["issued"] += int(points or 0)
    await _flows(ctx, rows, start, end)
    await _outstanding(ctx, rows, end)
    cross = await _cross_store(ctx, start, end)
    return LiabilityReport(
        period_from=start,
        period_to=end,
        stores=[
            StoreLiability(store_id=store, **figures)
            for store, figures in sorted(rows.items(), key=lambda kv: str(kv[0]))
            if _visible(stores, store)
        ],
        cross_store=[
            s
            for s in cross
            if _visible(stores, s.earned_at_store_id) or _visible(stores, s.redeemed_at_store_id)
        ],
    )


def _visible(stores: frozenset[uuid.UUID] | None, store: StoreKey) -> bool:
    return stores is None or store in stores


async def _flows(
    ctx: PluginContext, rows: dict[StoreKey, dict[str, int]], start: dt.datetime, end: dt.datetime
) -> None:
    """Redeemed counts where points were spent; expired and reversed where they were issued."""
    statement = (
        select(
            LotMovement.kind,
            LotMovement.lot_store_id,
            LotMovement.entry_store_id,
            func.sum(LotMovement.points),
        )
        .where(LotMovement.at >= start, LotMovement.at < end, LotMovement.points < 0)
        .group_by(LotMovement.kind, LotMovement.lot_store_id, LotMovement.entry_store_id)
    )
    for kind, lot_store, entry_store, points in (await ctx.session.execute(statement)).all():
        flow = _FLOWS.get(MovementKind(kind))
        if flow is None:
            continue  # a debt repaid by a new lot: outstanding moves, nothing leaves
        store = entry_store if flow == "redeemed" else lot_store
        rows[store][flow] += -int(points or 0)
    debts = (
        select(PointLot.store_id, func.sum(PointLot.points))
        .where(PointLot.kind == LotKind.debt, PointLot.earned_at >= start, PointLot.earned_at < end)
        .group_by(PointLot.store_id)
    )
    for store, points in (await ctx.session.execute(debts)).all():
        rows[store]["reversed"] += -int(points or 0)


async def _outstanding(
    ctx: PluginContext, rows: dict[StoreKey, dict[str, int]], end: dt.datetime
) -> None:
    lots = (
        select(PointLot.store_id, func.sum(PointLot.points))
        .where(PointLot.earned_at < end)
        .group_by(PointLot.store_id)
    )
    moves = (
        select(LotMovement.lot_store_id, func.sum(LotMovement.points))
        .where(LotMovement.at < end)
        .group_by(LotMovement.lot_store_id)
    )
    for statement in (lots, moves):
        for store, points in (await ctx.session.execute(statement)).all():
            rows[store]["outstanding"] += int(points or 0)


async def _cross_store(
    ctx: PluginContext, start: dt.datetime, end: dt.datetime
) -> list[Settlement]:
    statement = (
        select(LotMovement.lot_store_id, LotMovement.entry_store_id, func.sum(LotMovement.points))
        .where(
            LotMovement.kind == MovementKind.redeem,
            LotMovement.at >= start,
            LotMovement.at < end,
        )
        .group_by(LotMovement.lot_store_id, LotMovement.entry_store_id)
    )
    pairs: Iterable[tuple[StoreKey, StoreKey, int]] = (await ctx.session.execute(statement)).all()
    return sorted(
        (
            Settlement(earned_at_store_id=earned, redeemed_at_store_id=spent, points=-int(p or 0))
            for earned, spent, p in pairs
            if earned != spent
        ),
        key=lambda s: (str(s.earned_at_store_id), str(s.redeemed_at_store_id)),
    )
