"""The nightly RFM runs: when each ran, how, and the segment sizes it left behind.

A run's sizes are what ``GET /api/v1/insights/segments`` compares the current segments
with (the trend), so the comparison survives the next run rewriting ``customer_rfm``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.db.base import JSONDoc, TenantModel, utcnow


class RfmRun(TenantModel):
    __tablename__ = "rfm_runs"
    __table_args__ = (Index("ix_rfm_runs_tenant_id_computed_at", "tenant_id", "computed_at"),)

    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(16))
    """``quantiles`` or ``thresholds`` (the tenant's setting at the time)."""
    window_months: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    sizes: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    """``{segment: {"customers": n, "monetary": fen}}`` chain-wide at the end of the run."""


INSIGHTS_TABLES = ("rfm_runs",)
