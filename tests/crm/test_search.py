"""Finding customers, vehicles and orders: search keys, filters, pages, and query cost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from pitstop.runtime import Runtime
from tests.crm.conftest import Crm, seed_book


@contextmanager
def count_statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", listener)


async def _ids(crm: Crm, url: str, role: str = "hq_admin") -> list[str]:
    response = await crm.demo.client.get(url, headers=await crm.headers(role))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_q_finds_by_phone_last_four_plate_vin_and_name_prefix(crm: Crm) -> None:
    # Given two customers, the first with a vehicle
    first = await crm.customer(name="欧阳娜娜", phone="13612345678")
    second = await crm.customer(name="欧文", phone="13687654321")
    vehicle = await crm.vehicle(first["id"], plate="浙A12345")
    url = "/api/v1/customers?q="
    # When searching by each key
    # Then each finds exactly the customer it identifies
    assert await _ids(crm, url + "136 1234 5678") == [first["id"]]
    assert await _ids(crm, url + "%2B8613612345678") == [first["id"]]
    assert await _ids(crm, url + "4321") == [second["id"]]
    assert await _ids(crm, url + "浙A·12345") == [first["id"]]
    assert await _ids(crm, url + vehicle["vin"].lower()) == [first["id"]]
    assert await _ids(crm, url + "欧阳") == [first["id"]]
    assert sorted(await _ids(crm, url + "欧")) == sorted([first["id"], second["id"]])
    assert await _ids(crm, url + "%25") == []  # a LIKE wildcard is matched literally


async def test_filters_by_tag_home_store_and_lifecycle(crm: Crm) -> None:
    # Given a tagged SH001 customer in warranty, an untagged one out of warranty, one without
    tagged = await crm.customer(tags=["vip"], home_store_id=crm.stores["SH001"])
    await crm.vehicle(tagged["id"], purchase_date="2025-01-01", warranty_end="2099-01-01")
    old = await crm.customer(home_store_id=crm.stores["HZ001"])
    await crm.vehicle(old["id"], purchase_date="2015-01-01", warranty_end="2018-01-01")
    none = await crm.customer()
    url = "/api/v1/customers"
    # When filtering, Then each filter selects in SQL what it says
    assert await _ids(crm, f"{url}?tag=vip") == [tagged["id"]]
    assert await _ids(crm, f"{url}?store_id={crm.stores['HZ001']}") == [old["id"]]
    assert await _ids(crm, f"{url}?lifecycle=in_warranty") == [tagged["id"]]
    assert await _ids(crm, f"{url}?lifecycle=out_of_warranty") == [old["id"]]
    assert await _ids(crm, f"{url}?lifecycle=no_vehicle") == [none["id"]]
    bad = await crm.demo.client.get(f"{url}?lifecycle=later", headers=await crm.headers())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lifecycle"


async def test_keyset_pages_walk_every_customer_once(crm: Crm) -> None:
    # Given 7 customers
    await seed_book(crm, 7)
    headers = await crm.headers()
    # When they are read 3 at a time following next
    seen, url = [], "/api/v1/customers?limit=3"
    while url:
        page = (await crm.demo.client.get(url, headers=headers)).json()
        seen += [c["id"] for c in page["items"]]
        url = f"/api/v1/customers?limit=3&after={page['next']}" if page["next"] else ""
    # Then every customer came exactly once, in a stable order
    assert len(seen) == 7 and len(set(seen)) == 7 and seen == sorted(seen)
    # And a limit above 200 is refused naming limit
    too_many = await crm.demo.client.get("/api/v1/customers?limit=201", headers=headers)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/vehicles", "/api/v1/service-orders"]
)
async def test_a_list_costs_the_same_queries_whatever_its_size(
    crm: Crm, runtime: Runtime, path: str
) -> None:
    # Given 40 customers, each with a vehicle and an order
    await seed_book(crm, 40)
    headers = await crm.headers()
    await crm.demo.client.get(f"{path}?limit=1", headers=headers)  # warm the token cache
    counts = {}
    for limit in (1, 40):
        # When a page of 1 and a page of 40 are read
        with count_statements(runtime) as statements:
            response = await crm.demo.client.get(f"{path}?limit={limit}", headers=headers)
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        counts[limit] = len(statements)
    # Then both cost the same number of statements
    assert counts[1] == counts[40], counts


async def test_vehicle_search_by_plate_vin_and_vin_tail(crm: Crm) -> None:
    # Given two vehicles
    customer = await crm.customer()
    one = await crm.vehicle(customer["id"], plate="粤B12345F")
    two = await crm.vehicle(customer["id"])
    url = "/api/v1/vehicles?q="
    # When searching, Then plate, VIN and the VIN's last six find the right one
    assert await _ids(crm, url + "粤B 12345F") == [one["id"]]
    assert await _ids(crm, url + two["vin"]) == [two["id"]]
    assert await _ids(crm, url + two["vin"][-6:]) == [two["id"]]
    assert sorted(await _ids(crm, f"/api/v1/vehicles?customer_id={customer['id']}")) == sorted(
        [one["id"], two["id"]]
    )
