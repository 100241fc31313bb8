"""Liveness and readiness probes for load balancers and orchestrators.

``/health`` says the process is up; ``/ready`` checks each dependency and names the one
that is down, so an operator reading a 503 knows where to look.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dramatiq.broker import Broker
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pitstop.worker.broker import broker_ok


@get("/health", opt={"public": True}, tags=["probes"], sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout=3)
        return True
    except Exception:
        return False


NOT_READY = {
    503: ResponseSpec(dict[str, Any], description="A dependency is down; the body names it.")
}


@get("/ready", opt={"public": True}, tags=["probes"], responses=NOT_READY)
async def ready(
    engine: NamedDependency[AsyncEngine], broker: NamedDependency[Broker]
) -> Response[dict[str, Any]]:
    checks = {
        "database": "ok" if await _database_ok(engine) else "down",
        "broker": "ok" if await asyncio.to_thread(broker_ok, broker) else "down",
    }
    down = [name for name, status in checks.items() if status != "ok"]
    if down:
        body = {"status": "unavailable", "down": down, "checks": checks}
        return Response(body, status_code=503)
    return Response({"status": "ok", "checks": checks})
