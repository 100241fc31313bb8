"""The customer list's classification filters and its masked CSV export.

Three customers, scored by the RFM run on 1 April 2026:

* A - commercial, urban, business owner, born 1985 (80后), consents, home SH001, a BYD Han;
  first visit at SH002 on 10 March 2026 (¥500): segment ``new``.
* B - private, county, office worker, born 1995 (90后), no consent, no home store, a Toyota
  Camry; one visit at SH001 on 1 January 2025 (¥100): segment ``sleeping``.
* C - private, consents, no visit (never scored).
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from pitstop.access.models import AuditEntry
from pitstop.crm.models import Occupation, UsageType
from pitstop.db.tenant_context import tenant_scope
from pitstop.tenancy.models import RegionClass
from tests.conftest import BACKENDS
from tests.insights.conftest import ON_SQLITE, Book, local
from tests.insights.test_rfm import run_rfm


async def write_book(book: Book) -> dict[str, uuid.UUID]:
    import datetime as dt

    a = await book.customer(
        make="BYD",
        model="Han",
        usage=UsageType.commercial,
        region=RegionClass.urban,
        occupation=Occupation.business_owner,
        birthday=dt.date(1985, 5, 1),
        marketing_consent=True,
        home_store_id=uuid.UUID(book.crm.stores["SH001"]),
    )
    b = await book.customer(
        make="Toyota",
        model="Camry",
        region=RegionClass.county,
        occupation=Occupation.office_worker,
        birthday=dt.date(1995, 7, 1),
    )
    c = await book.customer(marketing_consent=True)
    await book.visit(a, "SH002", local("2026-03-10"), 50_000)
    await book.visit(b, "SH001", local("2025-01-01"), 10_000)
    await run_rfm(book)
    return {"A": a, "B": b, "C": c}


async def names(book: Book, people: dict[str, uuid.UUID], **query: Any) -> list[str]:
    response = await book.crm.demo.client.get(
        "/api/v1/customers", params=query, headers=await book.crm.headers()
    )
    assert response.status_code == 200, response.text
    by_id = {str(v): k for k, v in people.items()}
    return sorted(by_id[c["id"]] for c in response.json()["items"] if c["id"] in by_id)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_each_filter_narrows_the_list_and_they_combine_with_and(book: Book) -> None:
    # Given the three customers, scored
    people = await write_book(book)
    sh001, sh002 = book.crm.stores["SH001"], book.crm.stores["SH002"]
    # When the list is filtered by each classification, Then exactly the right ones remain
    expected: list[tuple[dict[str, Any], list[str]]] = [
        ({"segment": "new"}, ["A"]),
        ({"segment": "sleeping"}, ["B"]),
        ({"usage": "commercial"}, ["A"]),
        ({"region": "county"}, ["B"]),
        ({"occupation": "office_worker"}, ["B"]),
        ({"age_band": "80后"}, ["A"]),
        ({"age_band": "90后"}, ["B"]),
        ({"min_spend": 20_000}, ["A"]),
        ({"max_spend": 20_000}, ["B"]),
        ({"visits_min": 1}, ["A", "B"]),
        ({"last_visit_after": "2026-03-01"}, ["A"]),
        ({"last_visit_before": "2026-03-01"}, ["B"]),  # C never visited
        ({"make": "byd"}, ["A"]),
        ({"model": "Camry"}, ["B"]),
        ({"store_id": sh001}, ["A", "B"]),  # A's home, B's latest visit
        ({"store_id": sh002}, ["A"]),  # A's latest visit
        ({"marketing_consent": "true"}, ["A", "C"]),
        ({"marketing_consent": "true", "usage": "private"}, ["C"]),
        ({"usage": "commercial", "segment": "sleeping"}, []),
    ]
    for query, who in expected:
        assert await names(book, people, **query) == who, query
    # And the filtered list is keyset-paged like the plain one
    first = await book.crm.demo.client.get(
        "/api/v1/customers",
        params={"marketing_consent": "true", "limit": 1},
        headers=await book.crm.headers(),
    )
    page = first.json()
    assert [c["id"] for c in page["items"]] == [str(people["A"])] and page["next"]


@ON_SQLITE
async def test_bad_filters_are_4xx_naming_the_parameter(book: Book) -> None:
    headers = await book.crm.headers()
    for query, field in (
        ({"age_band": "50后"}, "age_band"),
        ({"usage": "rocket"}, "usage"),
        ({"min_spend": -1}, "min_spend"),
        ({"segment": "Not A Segment"}, "segment"),
        ({"last_visit_before": "0001-01-01"}, "last_visit_before"),
    ):
        response = await book.crm.demo.client.get(
            "/api/v1/customers", params=query, headers=headers
        )
        assert 400 <= response.status_code < 500, (query, response.text)
        assert field in response.text, (query, response.text)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.parametrize(
    "backend", BACKENDS, indirect=True
)  # rows are read under RLS while streaming
async def test_the_csv_export_is_filtered_masked_per_role_and_audited(book: Book) -> None:
    # Given the three customers
    people = await write_book(book)
    client = book.crm.demo.client
    query = {"marketing_consent": "true"}
    # When HQ and marketing export the customers who consent
    admin = await client.get(
        "/api/v1/customers/export.csv", params=query, headers=await book.crm.headers()
    )
    marketing = await client.get(
        "/api/v1/customers/export.csv", params=query, headers=await book.crm.headers("marketing")
    )
    assert admin.status_code == marketing.status_code == 200, marketing.text
    assert admin.headers["content-type"].startswith("text/csv")
    # Then both list A and C with A's segment, HQ with the phone, marketing masked
    full, masked = _rows(admin.text), _rows(marketing.text)
    ours = {str(people["A"]), str(people["C"])}
    assert {r["id"] for r in full} >= ours and {r["id"] for r in masked} == {r["id"] for r in full}
    a_full = next(r for r in full if r["id"] == str(people["A"]))
    a_masked = next(r for r in masked if r["id"] == str(people["A"]))
    assert (a_full["segment"], a_full["age_band"], a_full["usage"]) == ("new", "80后", "commercial")
    assert a_full["phone"].startswith("+86") and "*" not in a_full["phone"]
    assert "*" in a_masked["phone"] and a_masked["phone"] != a_full["phone"]
    assert "*" in a_masked["name"] and a_full["name"] not in marketing.text
    # And each export is in the audit log with its filters, never a customer's data
    async with book.crm.demo.runtime.sessions() as session:
        with tenant_scope(book.crm.tenant_id):
            entries = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "customer.list_exported")
                )
            ).all()
    assert [e.detail for e in entries] == [{"filters": {"marketing_consent": "True"}}] * 2
    # And a technician may not export; another tenant's store id exports nobody
    refused = await client.get(
        "/api/v1/customers/export.csv", headers=await book.crm.headers("technician")
    )
    assert refused.status_code == 403
    from tests.insights.test_kpis import _foreign_store

    foreign = await client.get(
        "/api/v1/customers/export.csv",
        params={"store_id": await _foreign_store(book)},
        headers=await book.crm.headers(),
    )
    assert _rows(foreign.text) == []


@ON_SQLITE
async def test_the_tier_filter_never_reaches_another_tenants_members(book: Book) -> None:
    # Given the demo shop (another tenant) with a gold member of its own
    demo = book.crm.demo
    token = await demo.token("owner@demo-shop.example", tenant="demo-shop")
    shop = {"Authorization": f"Bearer {token}"}
    enabled = await demo.client.put(
        "/api/v1/plugins/membership", json={"enabled": True}, headers=shop
    )
    assert enabled.status_code == 200, enabled.text
    theirs = await demo.client.post(
        "/api/v1/customers", json={"name": "刘备", "phone": "13700009998"}, headers=shop
    )
    assert theirs.status_code == 201, theirs.text
    gold = await demo.client.put(
        f"/api/v1/membership/accounts/{theirs.json()['id']}/tier",
        json={"tier": "gold", "reason": "VIP", "until": "2099-12-31"},
        headers=shop,
    )
    assert gold.status_code == 200, gold.text
    # And the chain's HQ, whose own book has no gold member
    mine = await demo.client.get(
        "/api/v1/customers", params={"tier": "gold"}, headers=await book.crm.headers()
    )
    # Then the chain's list of gold members is empty: the shop's member is not in it
    assert mine.status_code == 200, mine.text
    assert mine.json()["items"] == []
    # And the shop sees its own
    own = await demo.client.get("/api/v1/customers", params={"tier": "gold"}, headers=shop)
    assert [c["id"] for c in own.json()["items"]] == [theirs.json()["id"]]
