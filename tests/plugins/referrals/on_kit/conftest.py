"""The referrals plugin on ``pitstop.testing``, with membership as the reward fulfiller:
the demo chain's stores, two voucher templates, and a :class:`Desk` of front-desk
shortcuts.

``desk`` runs on SQLite only (the kit's file); ``both_desk`` also on the suite's
PostgreSQL server, for the state machine's locking and the break-in attempts.
``shared_desk`` is one app for a whole module (its tests use the module's event loop,
``pytestmark = pytest.mark.asyncio(loop_scope="module")``): each test makes its own
customers and puts the settings back, and an app costs ~0.7 s to make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

import pitstop_membership
import pitstop_referrals
from pitstop.testing import PluginApp, plugin_app
from tests.support.kit import DEMO_STORES, server_database

__all__ = ["server_database"]

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
"""Tuesday 10 March 2026, 10:00 in Shanghai."""
SETTINGS: dict[str, Any] = {
    "referrer_reward": {"kind": "voucher", "voucher_template": "REFERRAL50"},
    "referee_reward": {"kind": "voucher", "voucher_template": "WELCOME30"},
}
DEFAULTS: dict[str, Any] = {
    **SETTINGS, "max_rewards_per_referrer_per_year": 10, "tiers": [], "auto_approve": True,
    "velocity_limit": 3, "revoke_on_late_refund": False, "point_value_fen": 0,
}  # fmt: skip
TEMPLATES = (("REFERRAL50", 5_000), ("WELCOME30", 3_000))


def lines(total: int) -> list[dict[str, Any]]:
    """One maintenance line worth ``total`` fen."""
    return [
        {"kind": "labor", "category": "maintenance", "description": "保养",
         "quantity": 1, "unit_price": total},
    ]  # fmt: skip


@dataclass
class Desk:
    app: PluginApp

    def client(self, role: str = "service_advisor", store: str | None = None) -> Any:
        return self.app.client(role, store=store)

    async def settings(self, **fields: Any) -> None:
        response = await self.app.client().patch(
            "/api/v1/plugins/referrals", json={"settings": fields}
        )
        assert response.status_code == 200, response.text

    async def reset(self) -> None:
        """The module's settings back to the fixture's, membership on."""
        await self.settings(**DEFAULTS)
        response = await self.app.client().patch(
            "/api/v1/plugins/membership", json={"enabled": True}
        )
        assert response.status_code == 200, response.text

    async def code(self, customer_id: str | None = None) -> dict[str, Any]:
        if customer_id is None:
            customer_id = str((await self.app.customer())["id"])
        response = await self.client().post(
            "/api/v1/referrals/codes", json={"customer_id": customer_id}
        )
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def try_link(self, code: str, referee_id: str, **kw: Any) -> Any:
        role, store = kw.pop("role", "service_advisor"), kw.pop("store", None)
        body = {"code": code, "referee_customer_id": referee_id, **kw}
        return await self.client(role, store).post("/api/v1/referrals", json=body)

    async def referral(self, store: str | None = None) -> dict[str, Any]:
        """A clean referral: a new referrer's code, a new referee linked at ``store``."""
        code = await self.code()
        referee = await self.app.customer()
        response = await self.try_link(code["code"], str(referee["id"]), store=store)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def first_order(
        self, referral: dict[str, Any], total: int = 30_000, store: str | None = None
    ) -> dict[str, Any]:
        order = await self.app.completed_order(
            str(referral["referee_id"]), store=store, lines=lines(total)
        )
        await self.app.drain()
        return order

    async def get(self, referral: dict[str, Any]) -> dict[str, Any]:
        response = await self.app.client().get(f"/api/v1/referrals/{referral['id']}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def refund(self, order: dict[str, Any]) -> None:
        response = await self.app.client().post(
            f"/api/v1/service-orders/{order['id']}/refund", json={"reason": "返工退款"}
        )
        assert response.status_code == 200, response.text
        await self.app.drain()


async def _desk(tmp_path: Path, **database: str) -> AsyncIterator[Desk]:
    async with plugin_app(
        pitstop_referrals, pitstop_membership, settings=SETTINGS, stores=DEMO_STORES,
        start=START, directory=tmp_path, **database,
    ) as app:  # fmt: skip
        for code, amount in TEMPLATES:
            response = await app.client("hq_admin").post(
                "/api/v1/membership/voucher-templates",
                json={"code": code, "title": "推荐礼", "kind": "amount", "amount": amount,
                      "valid_days": 30},
            )  # fmt: skip
            assert response.status_code == 201, response.text
        yield Desk(app)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path):
        yield d


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_desk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path_factory.mktemp("referrals")):
        yield d


@pytest.fixture
async def both_desk(server_database: dict[str, str], tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path, **server_database):
        yield d
