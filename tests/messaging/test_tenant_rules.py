"""A tenant's own quiet hours and caps: set by HQ through the API, every bad field named,
applied by ``ctx.notify`` from then on, audited; other roles may read, not change."""

from __future__ import annotations

import datetime as dt
import uuid

from pitstop.testing import PluginApp
from tests.messaging.conftest import consent, message, notify

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


async def test_bad_rules_are_refused_naming_every_field_and_other_roles_may_not_change_them(
    app: PluginApp,
) -> None:
    hq = app.client()
    # When HQ sends a bad time, a bad cap count and an unknown key at once
    bad = await hq.put(
        "/api/v1/message-rules",
        json={"quiet_start": "25:00", "marketing_cap": {"count": 0, "days": 7}, "loud": 1},
    )
    # Then all three are named, and nothing changed
    assert bad.status_code == 422
    fields = sorted(e["field"] for e in bad.json()["errors"])
    assert fields == ["loud", "marketing_cap.count", "quiet_start"]
    assert (await hq.get("/api/v1/message-rules")).json()["quiet_start"] == "21:00"
    # And marketing staff (who send promotions) may read the rules but not raise their cap
    marketing = app.client("marketing")
    assert (await marketing.get("/api/v1/message-rules")).status_code == 200
    refused = await marketing.put("/api/v1/message-rules", json={"marketing_cap": None})
    assert refused.status_code == 403
    # And a store manager neither
    manager = app.client("store_manager")
    assert (await manager.put("/api/v1/message-rules", json={})).status_code == 403


async def test_the_tenants_quiet_hours_and_caps_apply_to_notify(app: PluginApp) -> None:
    # Given HQ set quiet hours 20:00-08:00 and at most one promotion in 30 days
    changed = await app.client().put(
        "/api/v1/message-rules",
        json={"quiet_start": "20:00", "quiet_end": "08:00",
              "marketing_cap": {"count": 1, "days": 30}},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["service_cap"] == {"count": 1, "days": 1, "per_template": True}
    customer = await app.customer()
    who = uuid.UUID(customer["id"])
    await consent(app, customer["id"], "marketing", True)
    # When a reminder is queued at 20:30
    app.clock.set(at(10, 20, 30))
    held = await notify(app, customer_id=who)
    # Then it waits for 08:00, the tenant's own opening, not 09:00
    assert dt.datetime.fromisoformat((await message(app, held))["send_after"]) == at(11, 8)
    # When two promotions go a week apart, Then the second is capped by the 30-day rule
    await notify(app, customer_id=who, purpose="marketing")
    app.clock.advance(days=7)
    second = await notify(app, customer_id=who, purpose="marketing")
    assert (await message(app, second))["status"] == "suppressed:frequency_cap"
    # And the change is in the audit log, naming what changed
    audit = await app.client().get("/api/v1/audit", params={"action": "message_rules.changed"})
    [entry] = audit.json()["items"]
    assert entry["detail"]["changed"] == ["marketing_cap", "quiet_end", "quiet_start"]
