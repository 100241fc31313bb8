"""The nightly RFM run: scores by quantiles and by thresholds, segments by the default rules,
worked by hand on five customers (docs/insights.md, "RFM").

Scored on 1 April 2026 (00:00 UTC), window 24 months (from 1 April 2024):

| who | visits (local days, ¥) | last | in window | spend |
|---|---|---|---|---|
| P | 1 Jan 2024 (outside), 1 Jun, 1 Dec 2025, 1 Feb, 25 Mar 2026 (300 each) | 25 Mar | 4 | 1,200 |
| Q | 20 Mar 2026 (50): first visit 12 days ago | 20 Mar | 1 | 50 |
| S | 1 Jun, 1 Sep, 1 Dec 2024 (80 each) | 1 Dec 2024 | 3 | 240 |
| T | 10 Jan 2025 (20) | 10 Jan 2025 | 1 | 20 |
| U | 1 Oct 2025, 5 Jan 2026 (200 each) | 5 Jan | 2 | 400 |
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from pitstop.crm.models import CustomerRfm
from pitstop.db.tenant_context import tenant_scope
from pitstop.insights import rfm
from pitstop.tenancy.models import Tenant
from tests.conftest import BACKENDS
from tests.insights.conftest import Book, local

NOW = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


async def write_book(book: Book) -> dict[str, uuid.UUID]:
    people = {name: await book.customer() for name in "PQSTU"}
    visits = {
        "P": [("2024-01-01", 30_000)]
        + [(day, 30_000) for day in ("2025-06-01", "2025-12-01", "2026-02-01", "2026-03-25")],
        "Q": [("2026-03-20", 5_000)],
        "S": [(day, 8_000) for day in ("2024-06-01", "2024-09-01", "2024-12-01")],
        "T": [("2025-01-10", 2_000)],
        "U": [("2025-10-01", 20_000), ("2026-01-05", 20_000)],
    }
    for name, days in visits.items():
        for day, fen in days:
            await book.visit(people[name], "SH001", local(day), fen)
    return people


async def run_rfm(book: Book, settings: dict[str, Any] | None = None) -> dict[uuid.UUID, Any]:
    runtime = book.crm.demo.runtime
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            if settings is not None:
                tenant = await session.get(Tenant, book.crm.tenant_id)
                assert tenant is not None
                tenant.settings = {**tenant.settings, "rfm": settings}
            await rfm.run(session, NOW)
            rows = (await session.scalars(select(CustomerRfm))).all()
            return {row.customer_id: (row.r, row.f, row.m, row.segment) for row in rows}


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_quantile_scores_and_segments_match_the_hand_computation(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the five customers above, streamed two at a time (writes between reads)
    people = await write_book(book)
    monkeypatch.setattr(rfm, "BATCH", 2)
    # When the nightly run scores them by quantiles (NTILE(5): five customers, one per tile)
    scores = await run_rfm(book)
    # Then R orders by last visit (S, T, U, Q, P), F by visits in the window (Q and T tie
    # at one, the older id first: Q, T, U, S, P), M by spend (T, Q, S, U, P)
    assert scores == {
        people["P"]: (5, 5, 5, "high_value"),
        people["Q"]: (4, 1, 2, "new"),  # first visit 12 days ago
        people["S"]: (1, 4, 3, "churn_warning"),  # came often, not for 16 months
        people["T"]: (2, 2, 1, "sleeping"),
        people["U"]: (3, 3, 4, "potential"),
    }


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_threshold_scores_follow_the_tenants_cut_offs(book: Book) -> None:
    # Given the same customers and the default thresholds: days since the last visit
    # 30/90/180/365, visits 1/2/4/8, spend ¥500/1,500/4,000/10,000
    people = await write_book(book)
    # When the tenant scores by thresholds
    scores = await run_rfm(book, {"method": "thresholds"})
    # Then P (6 days, 4 visits, ¥1,200) is (5, 3, 2): recent but not yet high value
    assert scores == {
        people["P"]: (5, 3, 2, "potential"),
        people["Q"]: (5, 1, 1, "new"),
        people["S"]: (1, 3, 1, "churn_warning"),  # 486 days
        people["T"]: (1, 1, 1, "sleeping"),  # 446 days
        people["U"]: (4, 2, 1, "potential"),  # 86 days
    }
