"""The set-based rebuild writes the very rows the per-customer Python functions describe.

``pitstop.crm.link_rebuild`` rebuilds ``visit_links`` and ``retention_days`` by window
functions in the database; ``visit_links.links`` and ``retention_days.deltas`` say the
same one customer at a time (and still keep the rows as orders complete). The book is
chosen for the edges: 29 February and the days around it in leap and common years, two
visits on one day, one at each store at the same instant, a customer seen once, a visit
two years and a day after the last, and New Year's Eve late at night in the chain's zone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text

from pitstop.crm import retention_days, visit_links
from pitstop.crm.link_rebuild import Dialect
from pitstop.crm.models import OrderStatus, ServiceOrder
from pitstop.crm.retention_days import RetentionDay
from pitstop.crm.visit_links import VisitLink
from pitstop.db.tenant_context import tenant_scope
from tests.conftest import BACKENDS
from tests.insights.conftest import Book, local
from tests.insights.test_rollups import link_rows

ZONE = "Asia/Shanghai"
VISITS = {
    "a": [("SH001", "2024-02-29"), ("SH001", "2025-02-28"), ("SH002", "2025-03-01")],
    "b": [("SH001", "2023-02-28"), ("SH001", "2024-02-28"), ("SH001", "2024-03-01")],
    "c": [("SH002", "2024-06-10"), ("SH002", "2024-06-10"), ("SH001", "2026-06-11")],
    "d": [("SH001", "2025-12-31 23:30"), ("SH002", "2025-12-31 23:30"), ("SH001", "2026-01-01")],
    "e": [("SH002", "2023-03-01")],
    "f": [("SH001", "2023-01-15"), ("SH002", "2023-07-01"), ("SH001", "2024-01-14")],
}
EDGE_DAYS = [
    dt.date(year, month, day)
    for year in range(2023, 2030)
    for month, day in ((2, 27), (2, 28), (3, 1), (3, 2), (12, 31), (1, 1))
] + [dt.date(2024, 2, 29), dt.date(2028, 2, 29)]


async def write_visits(book: Book) -> None:
    for visits in VISITS.values():
        customer = await book.customer()
        for store, when in visits:
            day, _, time = when.partition(" ")
            await book.visit(customer, store, local(day, time or "10:00"), 1_000)


async def expected_rows(book: Book) -> tuple[Counter[object], Counter[object]]:
    """The links and retention sums the Python functions give, customer by customer."""
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            found = await session.execute(
                select(
                    ServiceOrder.customer_id,
                    ServiceOrder.completed_at,
                    ServiceOrder.id,
                    ServiceOrder.store_id,
                ).where(ServiceOrder.status == OrderStatus.completed)
            )
    by_customer: dict[uuid.UUID, list[tuple[dt.datetime, uuid.UUID, uuid.UUID]]] = {}
    for customer, at, order, store in found.all():
        by_customer.setdefault(customer, []).append((at, order, store))
    linked: Counter[object] = Counter()
    sums: Counter[object] = Counter()
    zone = ZoneInfo(ZONE)
    for visits in by_customer.values():
        linked.update(visit_links.links(visits, ZONE))
        days = [(at.astimezone(zone).date(), store) for at, _, store in visits]
        for (store, day, kind), n in retention_days.deltas(days).items():
            sums[(store, day, kind)] += n
    return +linked, Counter({key: n for key, n in sums.items() if n})


async def table_rows(book: Book) -> tuple[Counter[object], Counter[object]]:
    linked = Counter({row[:5]: row[5] for row in await link_rows(book)})
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            day_rows = await session.execute(
                select(RetentionDay.store_id, RetentionDay.day, RetentionDay.seen).add_columns(
                    RetentionDay.back
                )
            )
    sums: Counter[object] = Counter()
    for store, day, seen, back in day_rows.all():
        sums[(store, day, "seen")] += seen
        sums[(store, day, "back")] += back
    return linked, Counter({key: n for key, n in sums.items() if n})


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_the_rebuild_in_sql_writes_what_the_python_functions_say(book: Book) -> None:
    # Given the edge-case visits, kept as they completed
    await write_visits(book)
    expected = await expected_rows(book)
    assert await table_rows(book) == expected
    # When both tables are emptied and rebuilt in the database
    async with book.crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(book.crm.tenant_id):
            await session.execute(delete(VisitLink))
            await session.execute(delete(RetentionDay))
            linked = await visit_links.rebuild(session, ZONE)
    # Then every link and every running-sum mark is the one the Python functions give
    assert linked == sum(len(visits) for visits in VISITS.values())
    assert await table_rows(book) == expected
    # And the database's year arithmetic is the calendar's on the days around 29 February
    # and New Year in leap and common years
    async with book.crm.demo.runtime.sessions() as session:
        d = Dialect(postgresql=session.get_bind().dialect.name == "postgresql")
        day = "CAST(:day AS date)" if d.postgresql else ":day"
        bounds = text(f"SELECT {d.first_after_year(day)}, {d.last_within_two_years(day)}")
        for edge in EDGE_DAYS:
            row = (await session.execute(bounds, {"day": edge})).one()
            assert tuple(dt.date.fromisoformat(str(value)) for value in row) == (
                retention_days._first_after_year(edge),
                retention_days._last_within_two_years(edge),
            ), edge
