"""``ctx.notify`` under the tenant's rules: consent, quiet hours, caps, dedupe - by the clock."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from pitstop.sdk import list_staff
from pitstop.testing import PluginApp
from tests.messaging.conftest import consent, log, message, notify

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


async def test_service_message_is_queued_then_sent_by_the_worker(app: PluginApp) -> None:
    # Given a customer and no consent recorded (service communication is not opt-in)
    customer = await app.customer()
    # When a plugin notifies them inside the sending window
    message_id = await notify(app, customer_id=uuid.UUID(customer["id"]))
    # Then the log shows it queued, and after the worker ran, delivered by the console
    assert (await message(app, message_id))["status"] == "queued"
    await app.drain()
    sent = await message(app, message_id)
    assert (sent["status"], sent["channel"]) == ("delivered", "console")
    assert sent["receipt_id"] == f"console:{message_id}"
    assert sent["attempts"] == 1


async def test_marketing_without_opt_in_is_suppressed_and_never_sent(app: PluginApp) -> None:
    # Given a customer who never opted in to marketing
    customer = await app.customer()
    # When a promotion is sent
    message_id = await notify(
        app, customer_id=uuid.UUID(customer["id"]), purpose="marketing", template="points_expiring"
    )
    # Then it is logged as suppressed:no_consent and nothing waits for the worker
    assert (await message(app, message_id))["status"] == "suppressed:no_consent"
    assert [p for p in app.queued if p.actor == "pitstop.send_message"] == []


async def test_marketing_goes_after_opt_in_and_stops_after_withdrawal(app: PluginApp) -> None:
    # Given a customer who opts in to marketing by SMS at the front desk
    customer = await app.customer()
    who = uuid.UUID(customer["id"])
    await consent(app, customer["id"], "marketing", True)
    # When a promotion goes, Then it is sent
    first = await notify(app, customer_id=who, purpose="marketing")
    await app.drain()
    assert (await message(app, first))["status"] == "delivered"
    # When they withdraw (one call, as easy as consenting), Then the next is suppressed
    await consent(app, customer["id"], "marketing", False)
    second = await notify(app, customer_id=who, purpose="marketing")
    assert (await message(app, second))["status"] == "suppressed:no_consent"


async def test_service_message_respects_a_withdrawal_for_that_medium(app: PluginApp) -> None:
    # Given a customer who said no to service messages by SMS
    customer = await app.customer()
    await consent(app, customer["id"], "service", False)
    # When a reminder is sent, Then it is suppressed
    message_id = await notify(app, customer_id=uuid.UUID(customer["id"]))
    assert (await message(app, message_id))["status"] == "suppressed:no_consent"


async def test_quiet_hours_hold_a_message_until_nine_in_the_tenants_zone(app: PluginApp) -> None:
    # Given 22:30 in Shanghai
    customer = await app.customer()
    app.clock.set(at(10, 22, 30))
    # When a service reminder and a transactional message are queued
    held = await notify(app, customer_id=uuid.UUID(customer["id"]), dedupe_key="held")
    now = await notify(
        app,
        customer_id=uuid.UUID(customer["id"]),
        purpose="transactional",
        template="service_due",
        data={"store_name": "一号店", "due_date": "2026-03-20"},
    )
    # Then the transactional one goes at once, the reminder waits for 09:00 next morning
    await app.drain()
    assert (await message(app, now))["status"] == "delivered"
    waiting = await message(app, held)
    assert waiting["status"] == "queued"
    assert dt.datetime.fromisoformat(waiting["send_after"]) == at(11, 9, 0)
    # When the clock reaches 08:59 nothing goes; at 09:00 it is sent
    app.clock.set(at(11, 8, 59))
    await app.drain()
    assert (await message(app, held))["status"] == "queued"
    app.clock.set(at(11, 9, 0))
    await app.drain()
    assert (await message(app, held))["status"] == "delivered"


async def test_service_cap_is_one_a_day_per_template(app: PluginApp) -> None:
    # Given a reminder sent this morning
    customer = await app.customer()
    who = uuid.UUID(customer["id"])
    await notify(app, customer_id=who)
    # When the same template is sent again the same day, Then it is capped
    again = await notify(app, customer_id=who)
    assert (await message(app, again))["status"] == "suppressed:frequency_cap"
    # And another template is not
    other = await notify(
        app, customer_id=who, template="service_due", data={"store_name": "一号店"}
    )
    assert (await message(app, other))["status"] == "queued"
    # When a day has passed, Then the first template goes again
    app.clock.advance(days=1)
    assert (await message(app, await notify(app, customer_id=who)))["status"] == "queued"


async def test_marketing_cap_is_two_in_seven_days(app: PluginApp) -> None:
    # Given an opted-in customer who got two promotions on Monday and Tuesday
    customer = await app.customer()
    who = uuid.UUID(customer["id"])
    await consent(app, customer["id"], "marketing", True)
    await notify(app, customer_id=who, purpose="marketing")
    app.clock.advance(days=1)
    await notify(app, customer_id=who, purpose="marketing")
    # When a third goes six days after the first, Then it is capped
    app.clock.advance(days=5)
    third = await notify(app, customer_id=who, purpose="marketing")
    assert (await message(app, third))["status"] == "suppressed:frequency_cap"
    # When the first is more than seven days old, Then one more may go
    app.clock.advance(days=1, hours=1)
    fourth = await notify(app, customer_id=who, purpose="marketing")
    assert (await message(app, fourth))["status"] == "queued"


async def test_a_repeated_dedupe_key_returns_the_first_message(app: PluginApp) -> None:
    # Given a reminder with a dedupe key
    customer = await app.customer()
    who = uuid.UUID(customer["id"])
    first = await notify(app, customer_id=who, dedupe_key="lot-1")
    # When the same key is used again, even a day later
    app.clock.advance(days=1)
    second = await notify(app, customer_id=who, dedupe_key="lot-1")
    # Then it is the same message, logged and sent once
    assert second == first
    await app.drain()
    assert [m["id"] for m in await log(app, customer_id=customer["id"])] == [str(first)]


async def test_notify_staff_is_logged_under_the_staff_member(app: PluginApp) -> None:
    # Given a staff member (the service advisor)
    async with app.context("notifier") as ctx:
        staff_id = (await list_staff(ctx, role="service_advisor"))[0].id
    # When a plugin notifies them
    async with app.context("notifier") as ctx:
        message_id = await ctx.notify_staff(
            staff_id, "staff_invite", {"tenant_name": "连锁", "token": "x"}
        )
    await app.drain()
    # Then the log lists it under staff_id, delivered, transactional
    [entry] = await log(app, staff_id=str(staff_id))
    assert (entry["id"], entry["status"], entry["purpose"]) == (
        str(message_id),
        "delivered",
        "transactional",
    )


async def test_a_customer_erased_before_the_send_is_not_contacted(app: PluginApp) -> None:
    # Given a reminder held by quiet hours, and the customer erased before the morning
    customer = await app.customer()
    app.clock.set(at(10, 23, 0))
    message_id = await notify(app, customer_id=uuid.UUID(customer["id"]))
    erased = await app.client().post(
        f"/api/v1/customers/{customer['id']}/erase", json={"reason": "客户要求"}
    )
    assert erased.status_code == 200, erased.text
    # When the window opens, Then nothing goes: the log says why
    app.clock.set(at(11, 9, 0))
    await app.drain()
    assert (await message(app, message_id))["status"] == "suppressed:no_address"
