"""The weekly churn-state series: counts by state at each week's end, from the history.

The history, in the chain's zone (Asia/Shanghai): A (last visit at SH001) active on Monday
5 January, at risk on 10 February, active again on 20 February; B (HZ001) active on 6
January, dormant at 00:30 on Monday 16 February (in that week, not the one before), lost
on 2 March; C (SH001) at risk at 23:30 on Sunday 1 February (in the week ending then).
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from pitstop_retention.models import CustomerState, StateChange
from tests.plugins.retention.on_kit.conftest import Desk

SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORY = {
    "A": ("SH001", [("active", "2026-01-05 10:00"), ("at_risk", "2026-02-10 10:00"),
                    ("active", "2026-02-20 10:00")]),
    "B": ("HZ001", [("active", "2026-01-06 10:00"), ("dormant", "2026-02-16 00:30"),
                    ("lost", "2026-03-02 10:00")]),
    "C": ("SH001", [("at_risk", "2026-02-01 23:30")]),
}  # fmt: skip
URL = "/states/weekly?from=2026-01-05&to=2026-03-08"
# (week's Monday, active, at_risk, dormant, lost), worked out by hand from the history
CHAIN = [
    ("2026-01-05", 2, 0, 0, 0), ("2026-01-12", 2, 0, 0, 0), ("2026-01-19", 2, 0, 0, 0),
    ("2026-01-26", 2, 1, 0, 0), ("2026-02-02", 2, 1, 0, 0), ("2026-02-09", 1, 2, 0, 0),
    ("2026-02-16", 1, 1, 1, 0), ("2026-02-23", 1, 1, 1, 0), ("2026-03-02", 1, 1, 0, 1),
]  # fmt: skip


def local(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


async def write_history(desk: Desk) -> None:
    customers = {
        name: uuid.UUID(str((await desk.app.customer(name=f"客{name}"))["id"])) for name in HISTORY
    }
    async with desk.app.context() as ctx:
        for name, (store, changes) in HISTORY.items():
            customer, previous = customers[name], None
            for state, at in changes:
                ctx.session.add(
                    StateChange(customer_id=customer, from_state=previous, state=state,
                                reasons=[], at=local(at))
                )  # fmt: skip
                previous = state
            ctx.session.add(
                CustomerState(customer_id=customer, state=previous, risk_reasons=[],
                              last_store_id=uuid.UUID(desk.app.stores[store]),
                              state_since=local(changes[-1][1]), computed_at=local(at))
            )  # fmt: skip


def rows(series: dict[str, object]) -> list[tuple[object, ...]]:
    weeks = series["weeks"]
    assert isinstance(weeks, list)
    return [(w["week"], w["active"], w["at_risk"], w["dormant"], w["lost"]) for w in weeks]


async def test_each_weeks_states_at_its_end_for_the_chain_and_each_store(desk: Desk) -> None:
    # Given the history above
    await write_history(desk)
    # When HQ reads the weeks from 5 January to 8 March
    chain = await desk.get(URL)
    # Then each week counts every customer by their state at the week's end
    assert rows(chain) == CHAIN and chain["store_id"] is None
    # And SH001's series holds A and C only, HZ001's B only
    sh001 = await desk.get(f"{URL}&store_id={desk.app.stores['SH001']}")
    assert [r[1:] for r in rows(sh001)] == [
        (1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (1, 1, 0, 0), (1, 1, 0, 0),
        (0, 2, 0, 0), (1, 1, 0, 0), (1, 1, 0, 0), (1, 1, 0, 0),
    ]  # fmt: skip
    # And an advisor of HZ001 sees only HZ001's customers, named store or not
    mine = await desk.get(URL, role="service_advisor", store="HZ001")
    assert [r[1:] for r in rows(mine)] == [
        (1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0),
        (1, 0, 0, 0), (0, 0, 1, 0), (0, 0, 1, 0), (0, 0, 0, 1),
    ]  # fmt: skip


async def test_another_store_and_bad_ranges_are_refused(desk: Desk) -> None:
    # Given an advisor of HZ001
    advisor = desk.client("service_advisor", store="HZ001")
    base = "/api/v1/retention/states/weekly"
    # When they name SH001, or HQ asks with the range reversed, too long, or none
    other = await advisor.get(f"{base}?from=2026-01-05&to=2026-03-08&store_id="
                              f"{desk.app.stores['SH001']}")  # fmt: skip
    reversed_ = await desk.client().get(f"{base}?from=2026-03-08&to=2026-01-05")
    too_long = await desk.client().get(f"{base}?from=2024-01-01&to=2026-03-08")
    default = await desk.client().get(base)
    # Then SH001 is not theirs (404), and each bad range names its field
    assert other.status_code == 404
    assert (reversed_.status_code, reversed_.json()["errors"][0]["field"]) == (422, "from")
    assert (too_long.status_code, too_long.json()["errors"][0]["field"]) == (422, "from")
    # And with no range, the twelve weeks up to today's (Tuesday 10 March)
    weeks = [w["week"] for w in default.json()["weeks"]]
    assert (len(weeks), weeks[-1]) == (12, "2026-03-09")
