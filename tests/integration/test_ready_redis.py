"""Readiness names the broker when Redis is down (production mode)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.runtime import Runtime
from pitstop.settings import Settings


@pytest.mark.redis
async def test_ready_follows_redis(settings: Settings, redis_server: Any) -> None:
    # Given an app on a real Redis broker
    runtime = Runtime.build(settings.with_overrides(redis_url=redis_server.url), poolclass=NullPool)
    async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
        up = await client.get("/ready")
        # When Redis stops
        redis_server.stop()
        try:
            down = await client.get("/ready")
        finally:
            redis_server.start()
        again = await client.get("/ready")
    # Then readiness is 200, then 503 naming the broker, then 200 again
    assert up.status_code == 200
    assert down.status_code == 503 and down.json()["down"] == ["broker"]
    assert again.status_code == 200
