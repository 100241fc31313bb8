"""A complete audit trail: every non-GET route is either audited or a business record.

Two reviewed lists cover every non-GET operation of the OpenAPI schema (core and every
installed plugin): ``AUDITED`` maps an administrative route to the action it must write and
a scenario that performs it (tests/support/audit_scenarios.py); ``RECORDED_ELSEWHERE``
names a business-record route and where its history lives instead. A new route on neither
list fails, named; a listed route that no longer exists fails too. See docs/audit.md.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from pitstop.access.audit import AUDIT_ACTIONS, UnknownAuditAction, record, record_for_plugin
from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from tests.support import audit_scenarios as s
from tests.support.demo import Demo

Operation = tuple[str, str]
"""(method, path template as the OpenAPI schema spells it)."""


@dataclass(frozen=True)
class Audited:
    action: str
    resource: str
    scenario: s.Scenario
    actor_kind: str = "user"
    change: str | None = None
    """``detail.change`` of a ``staff.changed`` row: which change of the person it was."""


def _staff(change: str, scenario: s.Scenario) -> Audited:
    return Audited("staff.changed", "staff", scenario, change=change)


def _lead(action: str, scenario: s.Scenario) -> Audited:
    return Audited(action, "tradein_lead", scenario)


AUDITED: dict[Operation, Audited] = {
    ("POST", "/api/v1/stores"): Audited("store.created", "store", s.open_store),
    ("PATCH", "/api/v1/stores/{store_id}"): Audited("store.changed", "store", s.change_store),
    ("POST", "/api/v1/staff"): _staff("hired", s.hire_staff),
    ("PATCH", "/api/v1/staff/{staff_id}"): _staff("updated", s.change_staff),
    ("POST", "/api/v1/staff/{staff_id}/invite"): _staff("invited", s.invite_staff),
    ("POST", "/api/v1/auth/set-password"): _staff("password_set", s.set_first_password),
    ("POST", "/api/v1/auth/change-password"): _staff("password_changed", s.change_password),
    ("POST", "/api/v1/auth/accept"): _staff("accepted", s.accept_membership),
    ("POST", "/api/v1/roles"): Audited("role.changed", "role", s.create_role),
    ("PATCH", "/api/v1/roles/{role_id}"): Audited("role.changed", "role", s.change_role),
    ("POST", "/api/v1/api-keys"): Audited("api_key.created", "api_key", s.create_api_key),
    ("DELETE", "/api/v1/api-keys/{key_id}"): Audited(
        "api_key.revoked", "api_key", s.revoke_api_key
    ),
    ("PUT", "/api/v1/plugins/{name}"): Audited("plugin.changed", "plugin", s.configure_plugin),
    ("PATCH", "/api/v1/plugins/{name}"): Audited("plugin.changed", "plugin", s.change_plugin),
    ("POST", "/api/v1/events/deliveries/{delivery_id}/retry"): Audited(
        "event_delivery.retried", "event_delivery", s.retry_delivery
    ),
    ("POST", "/api/v1/customers/{customer_id}/reveal"): Audited(
        "customer.reveal", "customer", s.reveal_customer
    ),
    ("POST", "/api/v1/customers/{customer_id}/erase"): Audited(
        "customer.erase", "customer", s.erase_customer
    ),
    ("PUT", "/api/v1/customers/{customer_id}/consents"): Audited(
        "customer.consent_changed", "customer", s.change_consent
    ),
    ("PUT", "/api/v1/message-templates/{name}"): Audited(
        "message_template.changed", "message_template", s.word_template
    ),
    ("PUT", "/api/v1/message-rules"): Audited("message_rules.changed", "tenant", s.set_rules),
    ("POST", "/api/v1/messages/inbound"): Audited(
        "customer.consent_changed", "customer", s.reply_td
    ),
    ("POST", "/api/v1/unsubscribe/{token}"): Audited(
        "customer.consent_changed", "customer", s.unsubscribe_link, actor_kind="customer"
    ),
    ("POST", "/api/v1/membership/accounts/{customer_id}/adjust"): Audited(
        "membership.adjust", "membership_account", s.adjust_points
    ),
    ("POST", "/api/v1/membership/voucher-templates"): Audited(
        "membership.voucher_template_created",
        "membership_voucher_template",
        s.create_voucher_template,
    ),
    ("PATCH", "/api/v1/membership/voucher-templates/{template_id}"): Audited(
        "membership.voucher_template_changed",
        "membership_voucher_template",
        s.change_voucher_template,
    ),
    ("POST", "/api/v1/membership/vouchers/{voucher_id}/void"): Audited(
        "membership.voucher_void", "membership_voucher", s.void_voucher
    ),
    ("PUT", "/api/v1/membership/accounts/{customer_id}/tier"): Audited(
        "membership.tier_override", "membership_account", s.override_tier
    ),
    ("PUT", "/api/v1/tradein/price-table"): Audited(
        "tradein.price_table", "tradein_price_table", s.tradein_price_table
    ),
    ("POST", "/api/v1/tradein/leads"): _lead("tradein.lead_created", s.tradein_lead),
    ("POST", "/api/v1/tradein/leads/{lead_id}/appraisals"): _lead(
        "tradein.appraised", s.tradein_appraise
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/offers"): Audited(
        "tradein.offer_made", "tradein_offer", s.tradein_offer
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/offers/{offer_id}/approve"): Audited(
        "tradein.offer_approved", "tradein_offer", s.tradein_approve
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/offers/{offer_id}/reject"): Audited(
        "tradein.offer_rejected", "tradein_offer", s.tradein_reject
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/offers/{offer_id}/accept"): _lead(
        "tradein.offer_accepted", s.tradein_accept
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/offers/{offer_id}/decline"): _lead(
        "tradein.offer_declined", s.tradein_decline
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/purchase"): _lead(
        "tradein.purchased", s.tradein_purchase
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/reconditioned"): _lead(
        "tradein.reconditioned", s.tradein_reconditioned
    ),
    ("POST", "/api/v1/tradein/leads/{lead_id}/sold"): _lead("tradein.sold", s.tradein_sold),
    ("POST", "/api/v1/tradein/leads/{lead_id}/lost"): _lead("tradein.lost", s.tradein_lost),
    ("POST", "/api/v1/referrals/codes"): Audited(
        "referrals.code_issued", "referral_code", s.referrals_code
    ),
    ("POST", "/api/v1/referrals"): Audited("referrals.linked", "referral", s.referrals_link),
    ("POST", "/api/v1/referrals/{referral_id}/approve"): Audited(
        "referrals.approved", "referral", s.referrals_approve
    ),
    ("POST", "/api/v1/referrals/{referral_id}/reject"): Audited(
        "referrals.rejected", "referral", s.referrals_reject
    ),
    ("POST", "/api/v1/retention/tasks/{task_id}/outcome"): Audited(
        "retention.task_outcome", "retention_task", s.retention_task_outcome
    ),
    ("POST", "/api/v1/retention/surveys/{survey_id}"): Audited(
        "retention.survey_answered", "retention_survey", s.retention_survey
    ),
    ("POST", "/api/v1/retention/r/{token}"): Audited(
        "retention.survey_answered",
        "retention_survey",
        s.retention_survey_by_link,
        actor_kind="link",
    ),
    ("POST", "/api/v1/sms/receipts"): Audited("sms.receipts_recorded", "message", s.sms_receipts),
    ("PUT", "/api/v1/retention/store-intervals/{store_id}"): Audited(
        "retention.store_interval_set", "store", s.retention_store_interval
    ),
    ("DELETE", "/api/v1/retention/store-intervals/{store_id}"): Audited(
        "retention.store_interval_cleared", "store", s.retention_store_interval_cleared
    ),
    ("POST", "/api/v1/messages/{message_id}/reconcile"): Audited(
        "message.reconciled", "message", s.message_reconcile
    ),
    ("POST", "/api/v1/sms/receipts/tencent"): Audited(
        "sms.receipts_recorded", "message", s.sms_tencent_receipts
    ),
    ("POST", "/api/v1/sms/replies"): Audited("sms.replies_recorded", "message", s.sms_replies),
    ("POST", "/api/v1/sms/replies/tencent"): Audited(
        "sms.replies_recorded", "message", s.sms_tencent_reply
    ),
    ("PUT", "/api/v1/wecom/contacts/{customer_id}"): Audited(
        "wecom.contact_linked", "customer", s.wecom_contact_linked
    ),
    ("DELETE", "/api/v1/wecom/contacts/{customer_id}"): Audited(
        "wecom.contact_unlinked", "customer", s.wecom_contact_unlinked
    ),
    ("POST", "/api/v1/wecom/events"): Audited("wecom.event_received", "customer", s.wecom_event),
    ("POST", "/api/v1/retention/recompute"): Audited(
        "retention.recompute_requested", "schedule", s.retention_recompute
    ),
    ("POST", "/api/v1/platform/tenants"): Audited(
        "tenant.created", "tenant", s.create_tenant, actor_kind="platform"
    ),
    ("POST", "/api/v1/platform/tenants/{slug}/suspend"): Audited(
        "tenant.suspended", "tenant", s.suspend_tenant, actor_kind="platform"
    ),
    ("POST", "/api/v1/platform/tenants/{slug}/resume"): Audited(
        "tenant.resumed", "tenant", s.resume_tenant, actor_kind="platform"
    ),
}

_COMPLAINT = "the complaint's activity timeline (who, when, from and to which status)"
_ORDER = "the order's status and timestamps, and its service_order.* event in the outbox"
_LEDGER = "the membership ledger entry, with the acting staff member and the reason"
RECORDED_ELSEWHERE: dict[Operation, str] = {
    ("POST", "/api/v1/auth/token"): "a login session, not a change; failures are audited",
    ("POST", "/api/v1/auth/refresh"): "rotates a login session's token (refresh_tokens)",
    ("POST", "/api/v1/auth/logout"): "ends a login session (refresh_tokens.revoked_at)",
    ("POST", "/api/v1/customers"): "a customer record; customer.created in the outbox",
    ("PATCH", "/api/v1/customers/{customer_id}"): "an ordinary edit; customer.updated event",
    ("POST", "/api/v1/vehicles"): "a vehicle record; vehicle.registered in the outbox",
    ("PATCH", "/api/v1/vehicles/{vehicle_id}"): "an ordinary edit of the vehicle record",
    ("POST", "/api/v1/vehicles/{vehicle_id}/mileage"): "a mileage reading, kept as history",
    ("POST", "/api/v1/service-orders"): _ORDER,
    ("POST", "/api/v1/service-orders/{order_id}/start"): _ORDER,
    ("POST", "/api/v1/service-orders/{order_id}/complete"): _ORDER,
    ("POST", "/api/v1/service-orders/{order_id}/refund"): _ORDER,
    ("POST", "/api/v1/service-orders/{order_id}/vouchers"): (
        "the order's discount line, and the voucher's order and status"
    ),
    ("POST", "/api/v1/membership/vouchers"): (
        "the voucher itself: who issued it (issued_by), where, why, and its template's count"
    ),
    ("POST", "/api/v1/membership/accounts/{customer_id}/enrol"): "the member account itself",
    ("POST", "/api/v1/membership/accounts/{customer_id}/redeem"): _LEDGER,
    ("POST", "/api/v1/tradein/appraisals/{appraisal_id}/recon-order"): (
        "answers the lead's recon order; opening one (for a car bought before purchases did)"
        " writes tradein.recon_order_opened, as the purchase does"
    ),
    ("POST", "/api/v1/complaints"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/acknowledge"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/status"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/reply"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/assign"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/resolve"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/survey"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/close"): _COMPLAINT,
    ("POST", "/api/v1/complaints/{complaint_id}/reopen"): _COMPLAINT,
    ("POST", "/api/v1/messages/manual"): (
        "the contact log entry itself: who logged which contact, when, with what outcome"
    ),
    ("POST", "/api/v1/message-templates/{name}/preview"): "renders sample text, changes nothing",
    ("POST", "/api/v1/wecom/events/verify"): "answers WeCom's URL check (echostr), changes nothing",
    ("POST", "/api/v1/complaints/notifications/{notification_id}/read"): (
        "the reader's own inbox state (read_at)"
    ),
}

WRITES = ("post", "put", "patch", "delete")
DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


async def _enable_every_plugin(demo: Demo, runtime: Runtime) -> None:
    admin = await demo.headers()
    for name in runtime.plugins.plugins:
        response = await demo.client.put(
            f"/api/v1/plugins/{name}", json={"enabled": True}, headers=admin
        )
        assert response.status_code == 200, response.text


async def test_every_write_route_is_audited_or_recorded_elsewhere(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the schema of an app with every installed plugin enabled
    await _enable_every_plugin(demo, runtime)
    schema = (await demo.client.get("/schema/openapi.json")).json()
    writes = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in WRITES
    }
    assert len(writes) >= 40
    # Then each write is on exactly one reviewed list, and each list names only real routes
    assert sorted(writes - AUDITED.keys() - RECORDED_ELSEWHERE.keys()) == [], "unlisted"
    assert sorted(AUDITED.keys() & RECORDED_ELSEWHERE.keys()) == [], "on both lists"
    assert sorted((AUDITED.keys() | RECORDED_ELSEWHERE.keys()) - writes) == [], "stale"


@pytest.mark.parametrize("operation", sorted(AUDITED), ids=lambda op: f"{op[0]} {op[1]}")
async def test_an_administrative_route_writes_its_audit_row(
    demo: Demo, runtime: Runtime, operation: Operation
) -> None:
    # Given the demo chain with every plugin enabled
    await _enable_every_plugin(demo, runtime)
    expected = AUDITED[operation]
    world = s.World(demo, runtime)
    # When the route is performed with a valid body
    target = await expected.scenario(world)
    # Then that request wrote one row into the affected tenant's log, naming the record
    # and who acted
    rows = await world.rows(target, expected.action, expected.resource)
    assert len(rows) == 1, f"{operation} wrote {len(rows)} {expected.action} rows for {target}"
    (row,) = rows
    assert (row.actor_kind, row.actor_id is not None) == (expected.actor_kind, True)
    assert row.detail.get("change") == expected.change or expected.change is None
    # And its detail carries no personal value the scenario sent (ids and names only)
    detail = json.dumps(row.detail, ensure_ascii=False)
    assert [value for value in world.personal if value in detail] == []


async def test_stores_created_and_changed_through_the_api_are_in_the_log(demo: Demo) -> None:
    # Given HQ opens a store, renames it and closes it
    world = s.World(demo, demo.runtime)
    store_id = (await s.open_store(world)).resource_id
    await world.call("PATCH", f"/api/v1/stores/{store_id}", {"name": "深圳一店（旗舰）"})
    await world.call("PATCH", f"/api/v1/stores/{store_id}", {"name": "深圳一店（旗舰）"})
    await world.call("PATCH", f"/api/v1/stores/{store_id}", {"active": False})
    # When HQ reads the log by resource, and by that store
    admin = await demo.headers()
    by_resource = await demo.client.get("/api/v1/audit?resource=store", headers=admin)
    by_store = await demo.client.get(
        f"/api/v1/audit?resource=store&resource_id={store_id}", headers=admin
    )
    # Then each change is one row, a repeated change none, field names and never values
    assert by_resource.status_code == by_store.status_code == 200
    items = by_store.json()["items"]
    assert [(e["action"], e["detail"].get("fields")) for e in items] == [
        ("store.created", None),
        ("store.changed", ["name"]),
        ("store.deactivated", ["active"]),
    ]
    assert all(e["actor_kind"] == "user" and e["resource_id"] == store_id for e in items)
    assert [e["id"] for e in items] == [
        e["id"] for e in by_resource.json()["items"] if e["resource_id"] == store_id
    ]


async def test_an_undocumented_action_is_refused(runtime: Runtime) -> None:
    # Given a session in a tenant's scope
    async with runtime.sessions() as session:
        with tenant_scope(uuid.uuid4()):
            # When code audits an action missing from AUDIT_ACTIONS, or a plugin audits
            # outside its own namespace, Then it is refused before anything is written
            with pytest.raises(UnknownAuditAction):
                await record(session, "store.renamed", resource="store")
            with pytest.raises(UnknownAuditAction):
                await record_for_plugin(session, "membership", "store.created", resource="store")
            with pytest.raises(UnknownAuditAction):
                await record_for_plugin(session, "membership", "membership.", resource="x")
            assert (await session.scalars(select(AuditEntry))).all() == []
    assert "membership.adjust" not in AUDIT_ACTIONS  # the plugin's, in its namespace


def test_the_lists_are_reviewed_and_every_action_documented() -> None:
    # Given both lists and docs/audit.md
    page = DOC.read_text(encoding="utf-8")
    # Then every reason says something, and the page names every action
    assert all(len(reason) > 20 for reason in RECORDED_ELSEWHERE.values())
    assert [a for a in sorted(AUDIT_ACTIONS) if f"`{a}`" not in page] == []
    assert [a.action for a in AUDITED.values() if f"`{a.action}`" not in page] == []
    plugins = ("membership.", "tradein.", "referrals.", "retention.", "sms.", "wecom.")
    core = {a.action for a in AUDITED.values() if not a.action.startswith(plugins)}
    assert core <= AUDIT_ACTIONS
    assert all((a.change is not None) == (a.action == "staff.changed") for a in AUDITED.values())
