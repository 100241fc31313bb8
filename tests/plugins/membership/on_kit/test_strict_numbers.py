"""Points are never guessed at: a plugin's integer fields decode as strictly as the core's."""

from __future__ import annotations

import pytest

from tests.plugins.membership.conftest import BASE, Club


@pytest.mark.parametrize("points", ["10", 10.0, "1e1", True])
async def test_points_that_are_not_json_integers_are_refused(club: Club, points: object) -> None:
    # Given a member with points
    who = await club.customer()
    await club.adjust(who[0], 50)
    # When an adjustment and a redemption send points as a string, a float or a boolean
    headers = await club.headers()
    adjust = await club.client.post(
        f"{BASE}/accounts/{who[0]}/adjust",
        json={"points": points, "reason": "补偿"},
        headers=headers,
    )
    redeem = await club.client.post(
        f"{BASE}/accounts/{who[0]}/redeem",
        json={"points": points, "reason": "抵扣"},
        headers=headers,
    )
    # Then both are 422 naming `points`, and the balance is untouched
    for response in (adjust, redeem):
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["points"]
    assert (await club.account(who[0]))["balance"] == 50
