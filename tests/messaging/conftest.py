"""Messaging on the test kit: a fresh chain with the ``notifier`` plugin, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pitstop.testing import PluginApp, plugin_app
from tests.messaging import notifier
from tests.support.kit import server_database

__all__ = ["server_database"]


@pytest.fixture
async def app(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[PluginApp]:
    """Tuesday 10 March 2026, 10:00 in Shanghai: inside the sending window."""
    async with plugin_app(notifier, directory=tmp_path, **server_database) as kit:
        yield kit


async def notify(app: PluginApp, **arguments: Any) -> uuid.UUID:
    """``ctx.notify`` in a transaction of its own, committed (so the worker is told)."""
    arguments.setdefault("purpose", "service")
    arguments.setdefault("template", "points_expiring")
    arguments.setdefault("data", {"points": 120, "expires_on": "2026-04-01"})
    async with app.context("notifier") as ctx:
        return await ctx.notify(**arguments)


async def log(app: PluginApp, **query: str) -> list[dict[str, Any]]:
    """The contact log as the HQ admin reads it through the API."""
    response = await app.client().get("/api/v1/messages", params=query)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def message(app: PluginApp, message_id: uuid.UUID) -> dict[str, Any]:
    return next(m for m in await log(app) if m["id"] == str(message_id))


async def consent(
    app: PluginApp, customer_id: str, purpose: str, granted: bool, channel: str = "sms"
) -> Any:
    body = {
        "consents": [
            {"purpose": purpose, "channel": channel, "granted": granted, "source": "front_desk"}
        ]
    }
    response = await app.client().put(f"/api/v1/customers/{customer_id}/consents", json=body)
    assert response.status_code == 200, response.text
    return response.json()
