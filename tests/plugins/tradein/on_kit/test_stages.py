"""The lead's stage machine: every legal move works and every illegal one is a 409 that
lists the allowed moves and changes nothing — in the rules, and through the API on both
databases.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pitstop.sdk import Conflict
from pitstop_tradein.stages import MOVES, STAGES, check_move
from tests.plugins.tradein.on_kit.conftest import Yard

# The machine, written out independently of the plugin's table:
# lead → appraised → offered → accepted|declined|expired → purchased → reconditioned → sold,
# lost from every open stage, and a declined or expired offer followed by a new appraisal
# or a new offer (an appraisal may also be redone before any offer).
LEGAL = {
    ("lead", "appraised"), ("lead", "lost"),
    ("appraised", "appraised"), ("appraised", "offered"), ("appraised", "lost"),
    ("offered", "accepted"), ("offered", "declined"), ("offered", "expired"),
    ("offered", "lost"),
    ("accepted", "purchased"), ("accepted", "lost"),
    ("declined", "appraised"), ("declined", "offered"), ("declined", "lost"),
    ("expired", "appraised"), ("expired", "offered"), ("expired", "lost"),
    ("purchased", "reconditioned"), ("purchased", "sold"),
    ("reconditioned", "sold"),
}  # fmt: skip
PAIRS = [(a, b) for a in STAGES for b in STAGES]


@pytest.mark.parametrize(("stage", "to"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_move_of_the_rules(stage: str, to: str) -> None:
    # Given a lead at ``stage``, When it is moved to ``to``
    if (stage, to) in LEGAL:
        # Then a legal move passes
        check_move(stage, to)
        return
    # Then an illegal one is a conflict naming the moves the stage allows
    with pytest.raises(Conflict) as refused:
        check_move(stage, to)
    assert refused.value.code == "illegal_stage_move"
    assert refused.value.extra["allowed"] == sorted(b for a, b in LEGAL if a == stage)
    assert sorted(MOVES[stage]) == refused.value.extra["allowed"]


async def _reach(yard: Yard, stage: str) -> dict[str, Any]:
    """A lead brought to ``stage`` through the API (and the clock, for expired)."""
    lead = await yard.lead()
    if stage == "lead":
        return lead
    if stage == "lost":
        assert (await yard.act(lead, "/lost", {"reason": "x"})).status_code == 200
        return lead
    appraisal = (await yard.appraise(lead)).json()
    if stage == "appraised":
        return lead
    offer = (await yard.offer(lead, appraisal["valuation"])).json()
    lead["offer"] = offer["id"]
    if stage == "expired":
        yard.app.clock.advance(days=8)
        await yard.app.drain()
    elif stage != "offered":
        answer = "decline" if stage == "declined" else "accept"
        assert (await yard.act(lead, f"/offers/{offer['id']}/{answer}")).status_code == 200
    steps = {"purchased": 1, "reconditioned": 2, "sold": 3}.get(stage, 0)
    for path, body in list(ACTIONS_AFTER.items())[:steps]:
        assert (await yard.act(lead, path, body)).status_code == 200
    assert (await yard.get(lead))["stage"] == stage
    return lead


PURCHASE = {"price": 5_000_000, "replacement": {"bought_from_us": False}}
ACTIONS_AFTER = {
    "/purchase": PURCHASE,
    "/reconditioned": {},
    "/sold": {"price": 6_000_000, "channel": "wholesale"},
}


async def _do(yard: Yard, lead: dict[str, Any], to: str) -> Any:
    """The API call that moves a lead to ``to``."""
    offer = lead.get("offer", str(uuid.uuid4()))
    if to == "appraised":
        return await yard.appraise(lead, odometer_km=60_000)
    if to == "offered":
        return await yard.offer(lead, 1_000_000)
    if to in ("accepted", "declined"):
        return await yard.act(
            lead, f"/offers/{offer}/{'accept' if to == 'accepted' else 'decline'}"
        )
    if to == "lost":
        return await yard.act(lead, "/lost", {"reason": "客户不卖了"})
    path = {"purchased": "/purchase", "reconditioned": "/reconditioned", "sold": "/sold"}[to]
    return await yard.act(lead, path, ACTIONS_AFTER[path])


ROUTED = [s for s in STAGES if s not in ("lead", "expired")]
"""Stages a route moves to: nothing goes back to lead, and expiry is the clock's."""


@pytest.mark.parametrize("stage", STAGES)
async def test_every_illegal_move_through_the_api_is_a_409_listing_the_allowed_ones(
    both_yard: Yard, stage: str
) -> None:
    # Given a lead at ``stage``
    lead = await _reach(both_yard, stage)
    for to in [t for t in ROUTED if (stage, t) not in LEGAL]:
        # When a move the stage does not allow is asked for
        response = await _do(both_yard, lead, to)
        # Then it is a 409 listing the allowed moves, and the lead has not moved
        assert response.status_code == 409, (stage, to, response.text)
        body = response.json()
        assert (body["code"], body["allowed"]) == (
            "illegal_stage_move",
            sorted(b for a, b in LEGAL if a == stage),
        ), (stage, to)
        assert (await both_yard.get(lead))["stage"] == stage


LEGAL_ROUTED = sorted((a, b) for a, b in LEGAL if b != "expired")


@pytest.mark.parametrize(("stage", "to"), LEGAL_ROUTED, ids=[f"{a}->{b}" for a, b in LEGAL_ROUTED])
async def test_every_legal_move_through_the_api(yard: Yard, stage: str, to: str) -> None:
    """SQLite only, to keep the suite short: on PostgreSQL, reaching each stage for the
    illegal moves above already walks each route once (lead to sold, declined, expired,
    lost)."""
    # Given a lead at ``stage``
    lead = await _reach(yard, stage)
    # When it is moved to ``to`` through its route
    response = await _do(yard, lead, to)
    # Then the move is made and recorded
    assert response.status_code in (200, 201), (stage, to, response.text)
    if to == "offered":  # ¥10,000 is well within the thresholds: it goes out at once
        assert response.json()["status"] == "offered"
    assert (await yard.get(lead))["stage"] == to
