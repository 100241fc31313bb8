"""Codes and linking at the front desk: one active code per customer, a masked name on
lookup, the refusals with their stable codes, and the fraud signals that hold a referral
for review (``same_household``: one e-mail address, or a car the referee handed over)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.plugins.referrals.on_kit.conftest import Desk, lines

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def desk(shared_desk: Desk) -> AsyncIterator[Desk]:
    await shared_desk.reset()
    yield shared_desk


async def test_a_customer_has_one_active_code_and_the_desk_sees_whose_it_is(desk: Desk) -> None:
    # Given a customer named 诸葛亮
    customer = await desk.app.customer(name="诸葛亮")
    # When the desk asks for their code twice
    first = await desk.client().post(
        "/api/v1/referrals/codes", json={"customer_id": customer["id"]}
    )
    again = await desk.client().post(
        "/api/v1/referrals/codes", json={"customer_id": customer["id"]}
    )
    # Then the first makes it (201) and the second gives the same code back (200)
    assert (first.status_code, again.status_code) == (201, 200)
    code = first.json()["code"]
    assert again.json()["code"] == code and len(code) == 8
    assert not set(code) & set("01ILO") and code in first.json()["share_text"]
    # And a lookup (lower case, with spaces) shows the referrer's name masked
    found = await desk.client("technician").get(f"/api/v1/referrals/codes/{code.lower()}")
    assert found.status_code == 403  # a technician holds no referrals permission
    found = await desk.client().get(f"/api/v1/referrals/codes/{code.lower()}")
    assert found.json()["referrer_name"] == "诸葛*" and found.json()["active"] is True
    # And an unknown code is a 404
    missing = await desk.client().get("/api/v1/referrals/codes/ZZZZZZZZ")
    assert missing.status_code == 404


async def test_a_code_expires_after_the_invite_validity_and_a_new_one_is_drawn(
    desk: Desk,
) -> None:
    # Given a code issued with the default 90-day validity
    customer = await desk.app.customer()
    code = await desk.code(str(customer["id"]))
    referee = await desk.app.customer()
    # When 91 days pass
    desk.app.clock.advance(days=91)
    # Then linking with it is refused as expired
    refused = await desk.try_link(code["code"], str(referee["id"]))
    assert (refused.status_code, refused.json()["code"]) == (422, "code_expired")
    # And the customer gets a new code
    fresh = await desk.code(str(customer["id"]))
    assert fresh["code"] != code["code"]


async def test_a_clean_link_is_pending_and_emits_ids_only(desk: Desk) -> None:
    # Given a referrer's code and a brand-new customer
    referral = await desk.referral()
    # Then the referral is pending, at the advisor's store, without signals
    assert referral["status"] == "pending" and referral["signals"] == []
    assert referral["store_id"] == str(desk.app.stores["SH001"])
    # And referral.linked carries ids and the state only
    (event,) = [
        e for e in await desk.app.events("referral.linked") if e["referral_id"] == referral["id"]
    ]
    assert event == {
        "referral_id": referral["id"], "referrer_id": referral["referrer_id"],
        "referee_id": referral["referee_id"], "store_id": referral["store_id"],
        "status": "pending", "reason": None,
    }  # fmt: skip


async def test_each_refusal_has_its_stable_code(desk: Desk) -> None:
    # Given a referrer's code and a customer who already had a paid service
    referrer = await desk.app.customer()
    code = (await desk.code(str(referrer["id"])))["code"]
    regular = await desk.app.customer()
    await desk.app.completed_order(str(regular["id"]))
    linked = await desk.referral()
    cases: list[tuple[str, str, str]] = [
        ("NOSUCHCD", str((await desk.app.customer())["id"]), "code_unknown"),
        (code, str(referrer["id"]), "self_referral"),
        (code, str(regular["id"]), "referee_not_new"),
        (code, linked["referee_id"], "already_referred"),
        (code, "6f1c0000-0000-4000-8000-000000000000", "unknown_customer"),
    ]
    hz = str(desk.app.stores["HZ001"])
    elsewhere = await desk.try_link(code, str((await desk.app.customer())["id"]), store_id=hz)
    assert (elsewhere.status_code, elsewhere.json()["errors"][0]["field"]) == (422, "store_id")
    for text, referee, expected in cases:
        # When the desk tries to link them
        response = await desk.try_link(text, referee)
        # Then it is a 422 with the stable code, naming the field
        assert (response.status_code, response.json()["code"]) == (422, expected), expected
        assert response.json()["errors"][0]["field"] in ("code", "referee_customer_id")


async def test_a_referee_driving_a_car_seen_before_is_not_new(desk: Desk) -> None:
    # Given a car serviced for someone and then transferred to a new customer
    seller = await desk.app.customer()
    car = await desk.app.vehicle(str(seller["id"]))
    await desk.app.completed_order(str(seller["id"]), str(car["id"]))
    buyer = await desk.app.customer()
    moved = await desk.app.client().patch(
        f"/api/v1/vehicles/{car['id']}", json={"customer_id": buyer["id"]}
    )
    assert moved.status_code == 200, moved.text
    code = await desk.code()
    # When the buyer is linked
    response = await desk.try_link(code["code"], str(buyer["id"]))
    # Then they are not new
    assert response.json()["code"] == "referee_not_new"


async def _held(desk: Desk, referrer: dict[str, Any], referee: dict[str, Any]) -> list[str]:
    code = await desk.code(str(referrer["id"]))
    response = await desk.try_link(code["code"], str(referee["id"]))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "review"
    return list(response.json()["signals"])


async def test_shared_id_number_and_address_hold_the_referral_for_review(desk: Desk) -> None:
    # Given a referrer and a referee at the same address, one with the other's ID number
    home = {"address": "上海市浦东新区张杨路 100 号", "id_number": "310101199001011234"}
    referrer = await desk.app.customer(**home)
    referee = await desk.app.customer(
        address="上海市浦东新区张杨路100号", id_number="310101199001011234"
    )
    # Then linking them holds it for review, naming both signals and nothing personal
    assert await _held(desk, referrer, referee) == ["same_address", "same_id_number"]


async def test_a_referee_car_owned_or_serviced_for_the_referrer_is_a_signal(desk: Desk) -> None:
    # Given the referrer's (never serviced) car handed to a new customer
    referrer = await desk.app.customer()
    car = await desk.app.vehicle(str(referrer["id"]))
    referee = await desk.app.customer()
    await desk.app.client().patch(
        f"/api/v1/vehicles/{car['id']}", json={"customer_id": referee["id"]}
    )
    # Then the link is held as a car previously owned by the referrer
    assert await _held(desk, referrer, referee) == ["vehicle_owned_by_referrer"]
    # And a car the shop serviced for the referrer before it changed hands says so too
    referrer = await desk.app.customer()
    car = await desk.app.vehicle(str(referrer["id"]))
    await desk.app.completed_order(str(referrer["id"]), str(car["id"]))
    referee = await desk.app.customer()
    await desk.app.client().patch(
        f"/api/v1/vehicles/{car['id']}", json={"customer_id": referee["id"]}
    )
    assert await _held(desk, referrer, referee) == [
        "vehicle_owned_by_referrer", "vehicle_serviced_for_referrer",
    ]  # fmt: skip


async def _linked(desk: Desk, referrer: dict[str, Any], referee: dict[str, Any]) -> Any:
    code = await desk.code(str(referrer["id"]))
    response = await desk.try_link(code["code"], str(referee["id"]))
    assert response.status_code == 201, response.text
    return response.json()


async def test_one_email_behind_both_records_is_a_household(desk: Desk) -> None:
    # Given a referrer and a referee giving the same e-mail, written differently
    referrer = await desk.app.customer(email="Wang.Family@example.cn")
    referee = await desk.app.customer(email=" wang.family@EXAMPLE.cn")
    # When the desk links them
    linked = await _linked(desk, referrer, referee)
    # Then the referral is held for review as one household, naming nothing personal
    assert (linked["status"], linked["signals"]) == ("review", ["same_household"])
    assert "example" not in str(await desk.get(linked))
    # And different e-mail addresses are no signal
    other = await _linked(
        desk, await desk.app.customer(email="a@example.cn"),
        await desk.app.customer(email="b@example.cn"),
    )  # fmt: skip
    assert (other["status"], other["signals"]) == ("pending", [])


async def test_a_car_the_referee_handed_to_the_referrer_is_a_household(desk: Desk) -> None:
    # Given the referee's (never serviced) car now driven by the referrer
    referee = await desk.app.customer()
    car = await desk.app.vehicle(str(referee["id"]))
    referrer = await desk.app.customer()
    moved = await desk.app.client().patch(
        f"/api/v1/vehicles/{car['id']}", json={"customer_id": referrer["id"]}
    )
    assert moved.status_code == 200, moved.text
    # When the desk links them
    linked = await _linked(desk, referrer, referee)
    # Then the referee is still new, and the referral is held as one household
    assert (linked["status"], linked["signals"]) == ("review", ["same_household"])


async def test_more_links_than_the_velocity_limit_in_a_day_go_to_review(desk: Desk) -> None:
    # Given a velocity limit of 2 and a referrer with two links today
    await desk.settings(velocity_limit=2)
    referrer = await desk.app.customer()
    code = (await desk.code(str(referrer["id"])))["code"]
    statuses = []
    for _ in range(3):
        referee = await desk.app.customer()
        response = await desk.try_link(code, str(referee["id"]))
        statuses.append((response.json()["status"], response.json()["signals"]))
    # Then the third is held for velocity
    assert statuses == [("pending", []), ("pending", []), ("review", ["velocity"])]
    # And a day later the referrer links cleanly again
    desk.app.clock.advance(hours=25)
    referee = await desk.app.customer()
    assert (await desk.try_link(code, str(referee["id"]))).json()["status"] == "pending"


async def test_settings_name_each_bad_field(desk: Desk) -> None:
    # When the admin saves several bad settings at once
    response = await desk.app.client().patch(
        "/api/v1/plugins/referrals",
        json={"settings": {
            "referrer_reward": {"kind": "voucher"}, "review_days": -1,
            "tiers": [{"at": 3, "reward": {"kind": "points", "points": 0}}],
        }},
    )  # fmt: skip
    # Then it is a 422 naming each
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"settings.referrer_reward", "settings.review_days", "settings.tiers"}
    messages = " ".join(e["message"] for e in response.json()["errors"])
    assert "referrer_reward.voucher_template" in messages and "tiers.0.reward.points" in messages


async def test_a_review_is_approved_or_rejected_by_a_reviewer_and_audited(desk: Desk) -> None:
    # Given two referrals held for review (same address)
    held = []
    for _ in range(2):
        referrer = await desk.app.customer(address="上海市静安区南京西路 1 号")
        referee = await desk.app.customer(address="上海市静安区南京西路1号")
        code = await desk.code(str(referrer["id"]))
        held.append((await desk.try_link(code["code"], str(referee["id"]))).json())
    url = "/api/v1/referrals/{}/{}"
    # When an advisor tries to approve: refused; a store manager approves one, rejects one
    advisor = await desk.client().post(url.format(held[0]["id"], "approve"), json={"reason": "x"})
    assert advisor.status_code == 403
    manager = desk.client("store_manager")
    ok = await manager.post(url.format(held[0]["id"], "approve"), json={"reason": "一家人"})
    no = await manager.post(url.format(held[1]["id"], "reject"), json={"reason": "同一人"})
    # Then one is pending again (approved), the other rejected
    assert (ok.json()["status"], no.json()["status"]) == ("pending", "rejected")
    # And a second decision is refused
    again = await manager.post(url.format(held[0]["id"], "reject"), json={"reason": "x"})
    assert (again.status_code, again.json()["code"]) == (422, "not_in_review")
    # And both decisions are in the audit log
    audit = await desk.app.client().get("/api/v1/audit", params={"resource": "referral"})
    actions = {e["action"] for e in audit.json()["items"]}
    assert {"referrals.approved", "referrals.rejected"} <= actions
    # And the approved one goes on to qualify on its first order
    await desk.first_order(held[0], total=lines(30_000)[0]["unit_price"])
    assert (await desk.get(held[0]))["status"] == "qualifying"
