"""Hostile input is a 4xx naming where it was, never a 500, on both databases (issue 11, #8).

Deep JSON, NUL characters in bodies, query strings and paths, dates that overflow when a
zone or a day is applied, and search text too long for SQLite's LIKE.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo

NUL = "\u0000"


def _deep(depth: int) -> bytes:
    return b'{"name":' + b"[" * depth + b"]" * depth + b', "phone": "13912345678"}'


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
async def test_deeply_nested_json_is_a_400(demo: Demo, depth: int) -> None:
    # Given a JSON body nested deeper than any request shape
    headers = {**await demo.headers(), "content-type": "application/json"}
    # When it is posted to a route with a body
    response = await demo.client.post("/api/v1/customers", content=_deep(depth), headers=headers)
    # Then 400 json_too_deep as problem+json, never a 500
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "json_too_deep"


async def test_json_at_the_depth_limit_still_reaches_validation(demo: Demo) -> None:
    # Given a body nested exactly 64 deep (the limit)
    headers = {**await demo.headers(), "content-type": "application/json"}
    # When it is posted
    response = await demo.client.post("/api/v1/customers", content=_deep(63), headers=headers)
    # Then the usual validation answers (name must be a string), not the depth rule
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "name"


async def test_nul_in_the_unauthenticated_login_is_a_422(demo: Demo) -> None:
    # Given no token at all
    # When the login is posted with a NUL in the e-mail
    response = await demo.client.post(
        "/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": f"admin{NUL}@demo-chain.example", "password": "x"},
    )
    # Then 422 naming email
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "nul_character"
    assert response.json()["errors"] == [
        {"field": "email", "message": "must not contain the NUL character"}
    ]


async def _customer(demo: Demo) -> str:
    response = await demo.client.post(
        "/api/v1/customers",
        json={"name": "张三", "phone": "13900001111"},
        headers=await demo.headers(),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


WRITES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/v1/customers", {"name": f"张{NUL}", "phone": "13900002222"}, "name"),
    ("PATCH", "/api/v1/customers/{customer}", {"address": f"a{NUL}b"}, "address"),
    (
        "POST",
        "/api/v1/customers",
        {"name": "李", "phone": "13900003333", "tags": ["a", NUL]},
        "tags[1]",
    ),
    ("POST", "/api/v1/stores", {"code": "NUL1", "name": f"x{NUL}", "city": "上海"}, "name"),
    ("POST", "/api/v1/roles", {"name": "nul_role", "permissions": [], "title": NUL}, "title"),
    (
        "POST",
        "/api/v1/api-keys",
        {"name": f"k{NUL}", "permissions": ["customers:read"]},
        "name",
    ),
    ("PUT", "/api/v1/plugins/complaints", {"enabled": True, "settings": {NUL: 1}}, "settings"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITES)
async def test_nul_in_any_body_string_or_key_is_a_422_naming_it(
    demo: Demo, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    # Given an existing customer (for routes that need one)
    if "{customer}" in path:
        path = path.format(customer=await _customer(demo))
    # When a body carrying a NUL is sent
    response = await demo.client.request(method, path, json=body, headers=await demo.headers())
    # Then 422 nul_character naming the field, on SQLite (which would store it) as on PostgreSQL
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "nul_character"
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/customers?q=%E5%BC%A0%00", "q"),
        ("/api/v1/customers?tag=vip%00", "tag"),
        ("/api/v1/vehicles?q=%00LSV", "q"),
        ("/api/v1/audit?action=x%00", "action"),
        ("/api/v1/complaints?status=open%00", "status"),
        ("/api/v1/events/deliveries?plugin=%00", "plugin"),
    ],
)
async def test_nul_in_a_query_parameter_is_a_422_naming_it(
    demo: Demo, path: str, parameter: str
) -> None:
    # When a search parameter carries a NUL
    response = await demo.client.get(path, headers=await demo.headers())
    # Then 422 naming the parameter
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == parameter


async def test_nul_in_a_path_parameter_is_a_422(demo: Demo) -> None:
    # When a path parameter carries a NUL
    response = await demo.client.get("/api/v1/plugins/complaints%00", headers=await demo.headers())
    # Then 422 naming the path
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "path"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/complaints/kpis?to=0001-01-01T00:00:00%2B00:00", "to"),
        ("/api/v1/complaints/kpis?from=9999-12-31T23:59:59-14:00", "from"),
        ("/api/v1/complaints/kpis?to=13912345678", "to"),
        ("/api/v1/membership/reports/liability?to=9999-12-31", "to"),
        ("/api/v1/membership/reports/liability?from=0001-01-01", "from"),
        ("/api/v1/audit?since=0001-01-01T00:00:00%2B14:00", "since"),
        ("/api/v1/audit?since=9999-12-31T23:59:59-14:00", "since"),
    ],
)
async def test_dates_out_of_range_are_a_422_naming_the_parameter(
    demo: Demo, path: str, parameter: str
) -> None:
    # When a report or the audit log is asked for a date that overflows with a zone or a day
    response = await demo.client.get(path, headers=await demo.headers())
    # Then 422 naming the parameter
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == parameter


async def test_a_tier_override_until_year_9999_is_a_422(demo: Demo) -> None:
    # Given a customer
    customer = await _customer(demo)
    # When a tier override is set until 9999-12-31
    response = await demo.client.put(
        f"/api/v1/membership/accounts/{customer}/tier",
        json={"tier": "gold", "reason": "VIP guest", "until": "9999-12-31"},
        headers=await demo.headers(),
    )
    # Then 422 naming until
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "until"


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/vehicles"])
async def test_search_text_longer_than_100_is_a_422(demo: Demo, path: str) -> None:
    # When a search carries 60,000 characters (SQLite: "LIKE pattern too complex")
    response = await demo.client.get(f"{path}?q={'a' * 60_000}", headers=await demo.headers())
    # Then 422 naming q
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "q"
    # And 100 characters are still a search
    ok = await demo.client.get(f"{path}?q={'a' * 100}", headers=await demo.headers())
    assert ok.status_code == 200, ok.text


async def test_the_login_still_works(demo: Demo) -> None:
    # A guard that refuses everything would pass the tests above: the happy path still works
    response = await demo.client.post(
        "/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": CHAIN_LOGINS["hq_admin"], "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
