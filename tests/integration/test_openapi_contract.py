"""The OpenAPI document states the real contract (issue 11, #15).

Every operation documents the problems it can answer as application/problem+json; request
bodies that refuse unknown fields say so; list limits and search text state their bounds;
an undeclared method is a 405 that says which methods are allowed.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
LINKS = {"/api/v1/retention/r/{token}"}
"""Plugins' signed-link pages (``opt={"link": ...}``, access/links.py)."""
PUBLIC = {
    "/health",
    "/ready",
    "/api/v1/auth/token",
    "/api/v1/auth/set-password",
    "/api/v1/auth/accept",
    "/api/v1/auth/change-password",
    "/api/v1/auth/refresh",
    "/api/v1/unsubscribe/{token}",
    "/api/v1/retention/r/{token}",
}
"""Reviewed: each authenticates by what its body carries (password, invite) or, for the
unsubscribe and survey links, by the signed token in its path - not a bearer token."""


@pytest.fixture
async def document(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_every_operation_documents_its_problems_as_problem_json(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    assert len(operations) > 60
    for method, path, operation in operations:
        responses = operation["responses"]
        expected = {"422"}
        if path not in PUBLIC:
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method != "GET":
            expected.add("409")
        if path in LINKS:  # a signed link expires (410) and opens 20 times an hour (429)
            expected |= {"410", "429"}
        # Then each expected status is there, as problem+json with the ProblemDetails schema
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status.startswith("4"):
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                assert content["application/problem+json"]["schema"] == PROBLEM
        # And an authenticated operation says it needs the bearer token
        assert (operation.get("security") == [{"bearer": []}]) == (path not in PUBLIC), path


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_plugin_routes_document_404_for_a_tenant_without_the_plugin(
    document: dict[str, Any],
) -> None:
    for _, path, operation in _operations(document):
        if path.startswith(("/api/v1/complaints", "/api/v1/membership")):
            assert "404" in operation["responses"], path


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_strict_bodies_limits_and_search_text_state_their_bounds(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    # Bodies whose decoder refuses unknown fields say additionalProperties: false
    for name in ("CustomerCreate", "CustomerPatch", "TokenRequest", "ComplaintCreate", "LineIn"):
        strict = [s for key, s in schemas.items() if key.endswith(name)]
        assert strict and all(s.get("additionalProperties") is False for s in strict), name
    # And a response shape does not (it may grow fields)
    assert "additionalProperties" not in schemas["CustomerOut"]
    # Every limit parameter is bounded 1..200, every q at most 100 characters
    limits = searches = 0
    for _, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "limit":
                limits += 1
                assert parameter["schema"]["minimum"] == 1, path
                assert parameter["schema"]["maximum"] == 200, path
            if parameter["name"] == "q":
                searches += 1
                assert parameter["schema"]["maxLength"] == 100, path
    assert limits >= 10 and searches == 2


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("method", ["TRACE", "PURGE", "DELETE"])
async def test_an_undeclared_method_is_a_405_naming_the_allowed_ones(
    client: AsyncTestClient[Litestar], method: str
) -> None:
    # When a method the route does not declare is used (authenticated or not)
    response = await client.request(method, "/api/v1/customers")
    # Then 405 problem+json with an Allow header listing the declared methods
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed and method not in allowed
