"""The trade-in funnel: reached counts and conversion per stage, the trade-in rate, days
per stage, offer accuracy, margin and pending approvals — per period and store."""

from __future__ import annotations

from typing import Any

from tests.plugins.tradein.on_kit.conftest import Yard


async def _kpis(
    yard: Yard, query: str = "", role: str = "hq_admin", store: str | None = None
) -> dict[str, Any]:
    response = await yard.client(role, store).get(f"/api/v1/tradein/kpis{query}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _sell(yard: Yard, store: str, *, from_us: bool, resale: int) -> dict[str, Any]:
    """A lead taken from offer to sale: accepted on day 2, bought day 3, sold day 10."""
    lead, offer = await yard.offered(store)
    yard.app.clock.advance(days=2)
    assert (await yard.act(lead, f"/offers/{offer['id']}/accept", store=store)).status_code == 200
    yard.app.clock.advance(days=1)
    purchase = {"price": offer["amount"], "replacement": {"bought_from_us": from_us}}
    assert (await yard.act(lead, "/purchase", purchase, store=store)).status_code == 200
    yard.app.clock.advance(days=7)
    sale = {"price": resale, "channel": "retail"}
    assert (await yard.act(lead, "/sold", sale, store=store)).status_code == 200
    return offer


async def test_the_funnel_counts_each_stage_reached_and_its_conversion(yard: Yard) -> None:
    # Given five leads at SH001: one left at lead, one appraised, one offered and
    # declined, and two sold (one of their owners bought the replacement from us)
    await yard.lead()
    await yard.appraise(await yard.lead())
    lead, offer = await yard.offered()
    await yard.act(lead, f"/offers/{offer['id']}/decline")
    await _sell(yard, "SH001", from_us=True, resale=10_000_000)
    await _sell(yard, "SH001", from_us=False, resale=10_000_000)
    # When HQ reads the KPIs
    report = await _kpis(yard)
    # Then each stage counts the leads that reached it and the share of the stage before
    funnel = {row["stage"]: (row["reached"], row["conversion"]) for row in report["funnel"]}
    assert funnel["lead"] == (5, None)
    assert funnel["appraised"] == (4, 0.8)
    assert funnel["offered"] == (3, 0.75)
    assert funnel["accepted"] == (2, 0.6667)
    assert funnel["purchased"] == (2, 1.0)
    assert funnel["sold"] == (2, 1.0)
    assert (report["declined"], report["lost"]) == (1, 0)
    # And half the cars bought in came with a replacement bought from us
    assert report["trade_in_rate"] == 0.5
    # And an offered lead waited 2 days to be accepted, a purchased one 7 to be sold
    days = report["median_days_per_stage"]
    assert (days["offered"], days["purchased"]) == (2.0, 7.0)


async def test_offer_accuracy_margin_and_pending_approvals(yard: Yard) -> None:
    # Given one car sold 10% above its valuation, with no recon estimate
    lead, offer = await yard.offered()
    valuation = offer["valuation"]
    await yard.act(lead, f"/offers/{offer['id']}/accept")
    buy = {"price": valuation - 100_000, "replacement": {"bought_from_us": True}}
    await yard.act(lead, "/purchase", buy)
    await yard.act(lead, "/sold", {"price": valuation * 11 // 10, "channel": "auction"})
    # And an offer waiting for a manager
    waiting = await yard.lead()
    value = (await yard.appraise(waiting)).json()["valuation"]
    assert (await yard.offer(waiting, value * 2)).json()["status"] == "awaiting_approval"
    # When HQ reads the KPIs
    report = await _kpis(yard)
    # Then the sale was 10% above the valuation, the margin is sale minus purchase
    assert report["offer_accuracy"] == {"sold": 1, "median": 0.1, "spread": 0.0}
    assert report["gross_margin_per_unit"] == valuation * 11 // 10 - (valuation - 100_000)
    assert report["approvals_pending"] == 1


async def test_kpis_keep_to_the_period_and_the_callers_stores(yard: Yard) -> None:
    # Given a lead at SH001 and one at HZ001
    await yard.lead("SH001")
    await yard.lead("HZ001")
    # When a manager of SH001 reads the KPIs, Then only SH001's lead counts
    mine = await _kpis(yard, role="store_manager", store="SH001")
    assert mine["leads"] == 1
    # And asking for HZ001 is a 404, like a store of another tenant
    hz = yard.app.stores["HZ001"]
    refused = await yard.client("store_manager", "SH001").get(f"/api/v1/tradein/kpis?store_id={hz}")
    assert refused.status_code == 404
    # When HQ asks for a period before any lead, Then there is none
    early = await _kpis(yard, "?from=2026-01-01T00:00:00%2B08:00&to=2026-02-01T00:00:00%2B08:00")
    assert early["leads"] == 0 and early["trade_in_rate"] is None
    # And a period without a time zone names the field
    naive = await yard.client("hq_admin").get("/api/v1/tradein/kpis?from=2026-01-01T00:00:00")
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "from"
