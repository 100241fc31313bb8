"""The KPI board: the chain's and each visible store's figures, plus the plugins' tiles.

Store scope is decided once, here: a store-scoped role's board is its stores' (the chain
block is then "my stores together"), and a ``store_id`` outside the caller's scope is the
same 422 as an unknown one, so the board never confirms that another store exists.
Plugin tiles arrive through :class:`KpiTiles`, a protocol this package owns and the plugin
host satisfies (the host sits above the domains; see docs/architecture.md, "Layers").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.errors import Unprocessable
from pitstop.insights import daily, links
from pitstop.insights.figures import Key, Scope
from pitstop.insights.schemas import (
    ChainKpis,
    Figures,
    KpiBoard,
    KpiTile,
    NewCustomers,
    PeriodOut,
    StoreKpis,
)
from pitstop.tenancy.models import Store
from pitstop.tenancy.periods import Period


@runtime_checkable
class KpiTiles(Protocol):
    """The enabled plugins' tiles for a period, inside the caller's transaction."""

    async def kpi_tiles(
        self,
        session: AsyncSession,
        *,
        period: Period,
        store_id: uuid.UUID | None,
        principal: Principal,
    ) -> list[KpiTile]: ...


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def average(total: int, count: int) -> int | None:
    """Integer fen, rounded half up: ``(2 * total + count) // (2 * count)``."""
    return (2 * total + count) // (2 * count) if count else None


async def visible_stores(
    session: AsyncSession, principal: Principal, store_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str]]:
    """``(id, code)`` of the stores the board covers, by code."""
    statement = select(Store.id, Store.code).order_by(Store.code)
    if principal.store_ids is not None:
        statement = statement.where(Store.id.in_(sorted(principal.store_ids)))
    if store_id is not None:
        statement = statement.where(Store.id == store_id)
    stores = [(row[0], row[1]) for row in (await session.execute(statement)).all()]
    if store_id is not None and not stores:
        raise Unprocessable.field("store_id", "no such store", code="unknown_store")
    return stores


def scope_of(principal: Principal, store_id: uuid.UUID | None) -> Scope:
    if store_id is not None:
        return [store_id]
    return None if principal.store_ids is None else sorted(principal.store_ids)


async def compute(session: AsyncSession, period: Period, scope: Scope) -> dict[Key, Figures]:
    """Every figure for the chain (key None) and per store. The additive ones (revenue,
    orders, visits, new customers) are the daily rollups' rows summed per store, and the
    stores' sums added up for the chain; the distinct-customer ones come from the visit
    links for each store and for the chain (a customer of two stores is one of the chain),
    the unique customers being the repurchase rate's base, read in the same statement."""
    sums = await daily.totals(session, period, scope, True)
    new = await daily.new_customers(session, period, scope, True)
    if sums:
        sums[None] = _added(sums.values())
    if new:
        new[None] = _by_source(new.values())
    repurchase: dict[Key, tuple[int, int]] = {}
    retention: dict[Key, tuple[int, int]] = {}
    for by_store in (True, False):
        repurchase |= await links.repurchase(session, period, scope, by_store)
        retention |= await links.retention(session, period, scope, by_store)
    # the repurchase rate's base is the period's distinct customers: the unique customers
    active = {key: (*sums[key], repurchase.get(key, (0, 0))[0]) for key in sums}
    keys = set(active) | set(new) | set(repurchase) | set(retention)
    return {
        key: _figures(
            active.get(key, (0, 0, 0, 0)),
            new.get(key, {}),
            repurchase.get(key, (0, 0)),
            retention.get(key, (0, 0)),
        )
        for key in keys
    }


async def revenue(session: AsyncSession, period: Period, scope: Scope) -> dict[Key, int]:
    """The board's revenue alone, for the chain (key None) and each store with visits: what
    :func:`compute` sums from the daily rollups, in one statement. For a reader that shows
    the period before by its revenue only (the console's board), so it does not pay for the
    distinct-customer figures of a period it does not show."""
    sums = await daily.totals(session, period, scope, True)
    return {None: sum(row[0] for row in sums.values())} | {k: row[0] for k, row in sums.items()}


def _added(rows: Iterable[tuple[int, int, int]]) -> tuple[int, int, int]:
    revenue, orders, visits = (sum(column) for column in zip(*rows, strict=True))
    return revenue, orders, visits


def _by_source(stores: Iterable[dict[str, int]]) -> dict[str, int]:
    chain: dict[str, int] = {}
    for by_source in stores:
        for source, count in by_source.items():
            chain[source] = chain.get(source, 0) + count
    return chain


def _figures(
    active: tuple[int, int, int, int],
    by_source: dict[str, int],
    repurchase: tuple[int, int],
    retention: tuple[int, int],
) -> Figures:
    revenue, orders, visits, customers = active
    new_total = sum(by_source.values())
    return Figures(
        revenue=revenue,
        orders=orders,
        average_ticket=average(revenue, orders),
        visits=visits,
        unique_customers=customers,
        visit_frequency=round(visits / customers, 2) if customers else None,
        new_customers=NewCustomers(
            total=new_total,
            by_source=dict(sorted(by_source.items())),
            referral_share=rate(by_source.get("referral", 0), new_total),
        ),
        repurchase_rate=rate(repurchase[1], repurchase[0]),
        retention_12m=rate(retention[1], retention[0]),
    )


EMPTY = _figures((0, 0, 0, 0), {}, (0, 0), (0, 0))


async def board(
    session: AsyncSession,
    tiles: KpiTiles,
    principal: Principal,
    period: Period,
    *,
    store_id: uuid.UUID | None,
    compare: Period | None,
) -> KpiBoard:
    stores = await visible_stores(session, principal, store_id)
    scope = scope_of(principal, store_id)
    now = await compute(session, period, scope)
    before = await compute(session, compare, scope) if compare else None
    chain = ChainKpis(**_fields(now.get(None, EMPTY)))
    if before is not None:
        chain.previous = before.get(None, EMPTY)
    return KpiBoard(
        period=_period_out(period),
        compare=_period_out(compare) if compare else None,
        chain=chain,
        stores=[
            StoreKpis(
                store_id=sid,
                code=code,
                previous=before.get(sid, EMPTY) if before is not None else None,
                **_fields(now.get(sid, EMPTY)),
            )
            for sid, code in stores
        ],
        plugins=await _tiles(session, tiles, principal, period, store_id, compare),
    )


async def _tiles(
    session: AsyncSession,
    tiles: KpiTiles,
    principal: Principal,
    period: Period,
    store_id: uuid.UUID | None,
    compare: Period | None,
) -> list[KpiTile]:
    """The plugins' tiles, each with its figures for the comparison period beside it: the
    hook is asked twice, so a plugin's formula is written once for any period."""
    now = await tiles.kpi_tiles(session, period=period, store_id=store_id, principal=principal)
    if compare is None:
        return now
    before = {
        tile.plugin: tile
        for tile in await tiles.kpi_tiles(
            session, period=compare, store_id=store_id, principal=principal
        )
    }
    for tile in now:
        earlier = before.get(tile.plugin)
        if tile.error is None and earlier is not None and earlier.error is None:
            tile.previous = earlier.figures
    return now


def _fields(value: Figures) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__struct_fields__}


def _period_out(period: Period) -> PeriodOut:
    return PeriodOut(start=period.first, end=period.last, timezone=period.timezone)
