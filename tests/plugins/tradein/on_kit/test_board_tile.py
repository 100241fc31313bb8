"""The trade-in tile on HQ's KPI board, computed by hand (docs/insights.md, "trade-in").

The yard, from Tuesday 10 March 2026 (Shanghai):

* A (SH001) and C (HZ001): appraised and offered on 10 March, bought on 13 March;
* B (SH001): appraised and offered on 10 March, bought on 2 April;
* D (SH001): a lead never appraised;
* E (SH001): appraised on 2 April.
"""

from __future__ import annotations

from typing import Any

from tests.plugins.tradein.on_kit.conftest import Yard

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
APRIL = {"from": "2026-04-01", "to": "2026-04-30", "compare": "previous_period"}


async def _tile(yard: Yard, query: dict[str, str], role: str = "hq_admin", **kw: Any) -> Any:
    response = await yard.client(role, kw.get("store")).get("/api/v1/insights/kpis", params=query)
    assert response.status_code == 200, response.text
    tiles = {t["plugin"]: t for t in response.json()["plugins"]}
    return tiles.get("tradein")


async def _buy(yard: Yard, lead: dict[str, Any], offer: dict[str, Any], store: str) -> int:
    purchase = {"price": offer["amount"], "replacement": {"bought_from_us": False}}
    assert (await yard.act(lead, "/purchase", purchase, store=store)).status_code == 200
    return int(offer["amount"])


async def test_appraisals_purchases_and_conversion_per_period_and_store(yard: Yard) -> None:
    # Given the yard above
    offered = {name: await yard.offered(store) for name, store in (("A", "SH001"),
               ("B", "SH001"), ("C", "HZ001"))}  # fmt: skip
    await yard.lead("SH001")
    yard.app.clock.advance(days=2)
    for name, (lead, offer) in offered.items():
        store = "HZ001" if name == "C" else "SH001"
        accepted = await yard.act(lead, f"/offers/{offer['id']}/accept", store=store)
        assert accepted.status_code == 200, accepted.text
    yard.app.clock.advance(days=1)
    paid_a = await _buy(yard, *offered["A"], "SH001")
    paid_c = await _buy(yard, *offered["C"], "HZ001")
    yard.app.clock.advance(days=20)
    paid_b = await _buy(yard, *offered["B"], "SH001")
    await yard.appraise(await yard.lead("SH001"))
    # When HQ reads March's board
    march = await _tile(yard, MARCH)
    # Then A, B and C were appraised, A and C bought in March: two of the three converted
    assert march["error"] is None
    assert march["figures"] == {
        "appraisals": 3,
        "purchases": 2,
        "purchase_total": paid_a + paid_c,
        "conversion": round(2 / 3, 4),
    }
    # And SH001 alone: A and B appraised, A bought
    sh001 = await _tile(yard, {**MARCH, "store_id": yard.app.stores["SH001"]})
    assert (sh001["figures"]["appraisals"], sh001["figures"]["conversion"]) == (2, 0.5)
    # When HQ reads April beside the 30 days before it (2 - 31 March)
    april = await _tile(yard, APRIL)
    # Then E was appraised and not bought, B bought; March's figures are beside them
    assert april["figures"] == {
        "appraisals": 1,
        "purchases": 1,
        "purchase_total": paid_b,
        "conversion": 0.0,
    }
    assert april["previous"] == march["figures"]
    # And HZ001's manager sees only C; a marketer, without tradein:read, no tile
    hz = await _tile(yard, MARCH, "store_manager", store="HZ001")
    assert hz["figures"] == {
        "appraisals": 1,
        "purchases": 1,
        "purchase_total": paid_c,
        "conversion": 1.0,
    }
    assert await _tile(yard, MARCH, "marketing") is None
