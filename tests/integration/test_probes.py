"""Probes and the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from pitstop.app import create_app
from pitstop.runtime import Runtime
from pitstop.settings import Settings


async def test_health_and_ready(client: AsyncTestClient[Litestar]) -> None:
    # When the probes are called
    health = await client.get("/health")
    ready = await client.get("/ready")
    # Then both answer ok
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_ready_names_the_database_when_it_is_down(settings: Settings) -> None:
    # Given an app whose database cannot be reached
    broken = settings.with_overrides(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    runtime = Runtime.build(broken)
    async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
        # When readiness is asked
        response = await client.get("/ready")
    # Then it answers 503 naming the database
    body: dict[str, Any] = response.json()
    assert response.status_code == 503
    assert body["down"] == ["database"]


async def test_openapi_is_served(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Pitstop API"


async def test_api_docs_page_loads_nothing_from_outside(
    client: AsyncTestClient[Litestar],
) -> None:
    # When the docs page is opened
    page = await client.get("/schema")
    # Then every script and stylesheet it names is served by the app itself
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/schema/") for u in urls), urls
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000


async def test_unknown_route_is_a_problem_document(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"
