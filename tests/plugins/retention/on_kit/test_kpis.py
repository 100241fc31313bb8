"""The KPIs are SQL aggregates: run on SQLite and PostgreSQL alike, per store and window."""

from __future__ import annotations

import datetime as dt

from tests.plugins.retention.on_kit.conftest import Desk


async def test_kpis_count_per_store_and_window(both_desk: Desk) -> None:
    desk = both_desk
    # Given two services at SH001 and one at HZ001, their surveys answered 5/10, 2/3, 4/8
    cars = [await desk.car() for _ in range(3)]
    for car, store in zip(cars, ("SH001", "SH001", "HZ001"), strict=True):
        await desk.service(car, 10_000, store=store)
    await desk.app.drain()
    surveys = {s["customer_id"]: s["id"] for s in (await desk.get("/surveys"))["items"]}
    for car, (csi, nps) in zip(cars, ((5, 10), (2, 3), (4, 8)), strict=True):
        response = await desk.client().post(
            f"/api/v1/retention/surveys/{surveys[car['customer_id']]}",
            json={"csi": csi, "nps": nps},
        )
        assert response.status_code == 200, response.text
    # And the low score's callback reached within its time
    [callback] = (await desk.get("/tasks?kind=callback"))["items"]
    reached = await desk.client().post(
        f"/api/v1/retention/tasks/{callback['id']}/outcome", json={"outcome": "reached"}
    )
    assert reached.status_code == 200, reached.text
    # When the KPIs are asked for the chain, for SH001, and for a window before it all
    chain = await desk.get("/kpis")
    sh = await desk.get(f"/kpis?store_id={desk.app.stores['SH001']}")
    before = await desk.get("/kpis?from=2026-01-01T00:00:00%2B08:00&to=2026-02-01T00:00:00%2B08:00")
    # Then the chain counts all three, SH001 its two, the earlier window nothing
    assert (chain["surveys_answered"], chain["csi_mean"]) == (3, round(11 / 3, 2))
    assert chain["nps"] == round(100 * (1 - 1) / 3, 1)
    assert (chain["callbacks"], chain["callbacks_in_time"]) == (1, 1.0)
    assert (sh["surveys_answered"], sh["csi_mean"], sh["nps"]) == (2, 3.5, 0.0)
    assert (before["surveys_answered"], before["csi_mean"], before["reminder_conversion"]) == (
        0,
        None,
        None,
    )
    # And a store-scoped caller must name one of their stores; a naive instant is a 422
    advisor = desk.client("service_advisor")
    assert (await advisor.get("/api/v1/retention/kpis")).status_code == 422
    naive = await desk.client().get("/api/v1/retention/kpis?from=2026-01-01T00:00:00")
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "from")
    assert dt.datetime.fromisoformat(chain["to"]) > dt.datetime.fromisoformat(chain["from"])
