"""A name of only whitespace is no name: every name-like field refuses it, naming the field."""

from __future__ import annotations

import pytest

from tests.support.demo import Demo

BLANK = " \t\u3000 "
"""Spaces, a tab and an ideographic space (what a Chinese IME types)."""


async def _store_id(demo: Demo) -> str:
    stores = await demo.client.get("/api/v1/stores", headers=await demo.headers())
    return str(stores.json()["items"][0]["id"])


CASES = [
    ("/api/v1/customers", {"name": BLANK, "phone": "13912340001"}, "name"),
    (
        "/api/v1/staff",
        {"email": "new@demo-chain.example", "name": BLANK, "role": "hq_analyst"},
        "name",
    ),
    ("/api/v1/stores", {"code": "SZ009", "name": BLANK, "city": "深圳"}, "name"),
    ("/api/v1/stores", {"code": "SZ009", "name": "深圳店", "city": BLANK}, "city"),
    ("/api/v1/api-keys", {"name": BLANK, "permissions": ["stores:read"]}, "name"),
]


@pytest.mark.parametrize(("path", "body", "field"), CASES)
async def test_a_blank_name_is_a_422_naming_the_field(
    demo: Demo, path: str, body: dict[str, object], field: str
) -> None:
    # When a record is created with a name of only whitespace
    response = await demo.client.post(path, json=body, headers=await demo.headers())
    # Then it is refused, naming the field and the rule
    assert response.status_code == 422, response.text
    assert {"field": field, "message": "must not be blank"} in response.json()["errors"]


async def test_a_blank_name_cannot_be_patched_in(demo: Demo) -> None:
    # Given a store
    store_id = await _store_id(demo)
    # When its name is changed to whitespace
    response = await demo.client.patch(
        f"/api/v1/stores/{store_id}", json={"name": BLANK}, headers=await demo.headers()
    )
    # Then it is refused and the store keeps its name
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
