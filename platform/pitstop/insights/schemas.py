"""What the insights API answers: the same figures for the chain and for each store.

Money is integer fen; rates are fractions rounded to four places (``0.4286``), None when
their denominator is zero (no customers is "unknown", not 0 %). The formulas are in
docs/insights.md, one section per key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class NewCustomers(msgspec.Struct, kw_only=True):
    total: int
    by_source: dict[str, int]
    referral_share: float | None


class Figures(msgspec.Struct, kw_only=True):
    revenue: int
    orders: int
    average_ticket: int | None
    visits: int
    unique_customers: int
    visit_frequency: float | None
    new_customers: NewCustomers
    repurchase_rate: float | None
    retention_12m: float | None


class ChainKpis(Figures, kw_only=True):
    previous: Figures | None = None
    """The same figures for the comparison period (``compare``), or None."""


class StoreKpis(Figures, kw_only=True):
    store_id: uuid.UUID
    code: str
    previous: Figures | None = None


class OrderFigures(msgspec.Struct, frozen=True):
    """Completed orders of a period (SDK: ``order_figures``), for a plugin's cohort."""

    orders: int
    revenue: int
    average_ticket: int | None


class KpiTile(msgspec.Struct, kw_only=True):
    """One plugin's tile on the board; the host fills in ``plugin`` (and ``error`` when the
    plugin failed: its ``figures`` are then empty and the board is unaffected)."""

    title: str
    figures: dict[str, Any]
    plugin: str = ""
    error: str | None = None
    previous: dict[str, Any] | None = None
    """The same figures for the comparison period (``compare=``), filled in by the board:
    the plugin answers one period per call and never sets it."""


class PeriodOut(msgspec.Struct, kw_only=True):
    start: dt.date = msgspec.field(name="from")
    end: dt.date = msgspec.field(name="to")
    timezone: str


class KpiBoard(msgspec.Struct, kw_only=True):
    period: PeriodOut
    compare: PeriodOut | None
    chain: ChainKpis
    stores: list[StoreKpis]
    plugins: list[KpiTile]
