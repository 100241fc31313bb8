"""The service-order list's period, advisor and status filters (the KPI board's revenue is
defined as what this list returns for the same days and scope)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from pitstop.crm.models import OrderStatus
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.models import Membership, User
from tests.insights.conftest import ON_SQLITE, Book, local


async def _advisor(book: Book) -> uuid.UUID:
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            return (
                await session.scalars(
                    select(Membership.id)
                    .join(User, User.id == Membership.user_id)
                    .where(User.email == "advisor.sh001@demo-chain.example")
                )
            ).one()


async def _totals(book: Book, role: str = "hq_admin", **query: str) -> list[int]:
    response = await book.crm.demo.client.get(
        "/api/v1/service-orders", params=query, headers=await book.crm.headers(role)
    )
    assert response.status_code == 200, response.text
    return sorted(o["total"] for o in response.json()["items"])


@ON_SQLITE
async def test_from_and_to_are_local_days_inclusive_on_completed_at(book: Book) -> None:
    # Given orders completed just inside and just outside March in Shanghai time
    advisor = await _advisor(book)
    customer = await book.customer()
    await book.visit(customer, "SH001", local("2026-02-28", "23:59"), 1)
    await book.visit(customer, "SH001", local("2026-03-01", "00:00"), 2, advisor_id=advisor)
    await book.visit(customer, "SH002", local("2026-03-31", "23:59"), 3)
    await book.visit(customer, "SH001", local("2026-03-15"), 4, OrderStatus.refunded)
    await book.visit(customer, "SH001", local("2026-04-01", "00:00"), 5)
    await book.visit(customer, "SH001", None, 6, OrderStatus.open)
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    # When the list is asked for March, then narrowed by status, store and advisor
    # Then the local days decide, both ends inclusive, and open orders have no completion
    assert await _totals(book, **march) == [2, 3, 4]
    assert await _totals(book, **march, status="completed") == [2, 3]
    assert await _totals(book, **march, store_id=book.crm.stores["SH002"]) == [3]
    assert await _totals(book, **march, advisor_id=str(advisor)) == [2]
    # And one bound alone leaves the other side open
    assert await _totals(book, **{"from": "2026-03-31"}) == [3, 5]
    assert await _totals(book, to="2026-02-28") == [1]
    # And SH001's advisor sees SH001's orders only, whatever the filters say
    assert await _totals(book, "service_advisor", **march) == [2, 4]
    assert await _totals(book, "service_advisor", **march, store_id=book.crm.stores["SH002"]) == []


@ON_SQLITE
async def test_bad_dates_are_422s_naming_the_parameter(book: Book) -> None:
    headers = await book.crm.headers()
    for query, field in (
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "31/03/2026"}, "from"),
        ({"advisor_id": "nobody"}, "advisor_id"),
    ):
        response = await book.crm.demo.client.get(
            "/api/v1/service-orders", params=query, headers=headers
        )
        assert response.status_code in (400, 422), (query, response.text)
        assert field in response.text, (query, response.text)
