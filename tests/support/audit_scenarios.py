"""One scenario per audited route: perform it with a valid body, say which record it changed.

``tests/integration/test_audit_trail.py`` maps each administrative route to its action and
one of these; the scenario calls the route as a real client would (the demo chain's HQ
admin, a person redeeming an invite, the platform operator) and returns the record the
audit row must name. Every personal value a scenario sends is noted in
``World.personal``, so the test can assert that no audit detail carries one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from pitstop.access.links import Link, sign
from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import DeliveryStatus, EventDelivery
from pitstop.events.outbox import emit
from pitstop.messaging.models import Message
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from pitstop_membership.models import MemberAccount
from pitstop_retention.models import Survey, Task
from pitstop_wecom.events import state_for
from tests.plugins.wecom.fake_wecom import AES_KEY, CORP_ID, TOKEN, contact_event, sealed_callback
from tests.support.demo import PASSWORD, Demo
from tests.support.events import completed_order

CHAIN = "demo-chain"
OPERATOR = "ops@pitstop.example"
NEW_PASSWORD = "a-brand-new-passphrase"
SHOP_OWNER = "owner@demo-shop.example"


@dataclass(frozen=True)
class Target:
    """The record an audit row must name, in the tenant whose log must hold it."""

    resource_id: str
    tenant: str = CHAIN


@dataclass
class World:
    demo: Demo
    runtime: Runtime
    personal: set[str] = field(default_factory=lambda: {PASSWORD, NEW_PASSWORD})
    last_request_id: str = ""
    """The request id of the latest call: a scenario ends with the route it is for."""

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A call that must succeed: the scenario's route, or a step towards it."""
        if headers is None:
            headers = await self.demo.headers()
        response = await self.demo.client.request(method, path, json=body, headers=headers)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        self.last_request_id = response.headers["x-request-id"]
        return response

    async def operator(self) -> dict[str, str]:
        """The platform operator's headers (the operator is added on first use)."""
        if ("", OPERATOR) not in self.demo.tokens:
            await self.demo.add_operator(OPERATOR)
        return {"Authorization": f"Bearer {await self.demo.token(OPERATOR, tenant=None)}"}

    async def customer(self) -> str:
        name, phone = "韩梅梅", "13912345678"
        self.personal |= {name, phone}
        created = await self.call("POST", "/api/v1/customers", {"name": name, "phone": phone})
        return str(created.json()["id"])

    async def hire(self, email: str = "new.hire@demo-chain.example") -> str:
        name = "周新人"
        self.personal |= {email, name}
        body = {
            "email": email,
            "name": name,
            "role": "technician",
            "stores": [await self.demo.store_id()],
        }
        return str((await self.call("POST", "/api/v1/staff", body)).json()["id"])

    async def invite(self, staff_id: str) -> str:
        """The invite token as the API hands it over: with a staff channel on (every plugin
        is, in the audit walk) it goes out by that channel instead, so turn them off."""
        for channel in ("webhook", "sms", "wecom"):
            if channel in self.runtime.plugins.plugins:
                await self.call("PUT", f"/api/v1/plugins/{channel}", {"enabled": False})
        invited = await self.call("POST", f"/api/v1/staff/{staff_id}/invite")
        token = str(invited.json()["token"])
        self.personal.add(token)
        return token

    async def tenant_id(self, slug: str) -> uuid.UUID:
        async with self.runtime.sessions() as session:
            return (await session.scalars(select(Tenant.id).where(Tenant.slug == slug))).one()

    async def rows(self, target: Target, action: str, resource: str) -> list[AuditEntry]:
        """The rows the latest call wrote naming the target, read from the target tenant's
        log in the database (the operator cannot read a tenant's log through the API)."""
        tenant_id = await self.tenant_id(target.tenant)
        async with self.runtime.sessions() as session:
            with tenant_scope(tenant_id):
                statement = select(AuditEntry).where(
                    AuditEntry.action == action,
                    AuditEntry.resource == resource,
                    AuditEntry.resource_id == target.resource_id,
                    AuditEntry.request_id == self.last_request_id,
                )
                return list((await session.scalars(statement)).all())


Scenario = Callable[[World], Awaitable[Target]]


async def open_store(world: World) -> Target:
    body = {"code": "SZ001", "name": "深圳一店", "city": "深圳"}
    return Target(str((await world.call("POST", "/api/v1/stores", body)).json()["id"]))


async def change_store(world: World) -> Target:
    store_id = await world.demo.store_id("SH002")
    await world.call("PATCH", f"/api/v1/stores/{store_id}", {"name": "上海二店（新）"})
    return Target(store_id)


async def create_api_key(world: World) -> Target:
    body = {"name": "BI export", "permissions": ["stores:read"]}
    return Target(str((await world.call("POST", "/api/v1/api-keys", body)).json()["id"]))


async def revoke_api_key(world: World) -> Target:
    target = await create_api_key(world)
    await world.call("DELETE", f"/api/v1/api-keys/{target.resource_id}")
    return target


async def hire_staff(world: World) -> Target:
    return Target(await world.hire())


async def change_staff(world: World) -> Target:
    staff_id = await world.hire()
    await world.call("PATCH", f"/api/v1/staff/{staff_id}", {"role": "service_advisor"})
    return Target(staff_id)


async def invite_staff(world: World) -> Target:
    staff_id = await world.hire()
    await world.invite(staff_id)
    return Target(staff_id)


async def set_first_password(world: World) -> Target:
    staff_id = await world.hire()
    body = {"tenant": CHAIN, "token": await world.invite(staff_id), "password": NEW_PASSWORD}
    await world.call("POST", "/api/v1/auth/set-password", body, headers={})
    return Target(staff_id)


async def change_password(world: World) -> Target:
    email = "changer@demo-chain.example"
    staff_id = await world.hire(email)
    body = {"tenant": CHAIN, "token": await world.invite(staff_id), "password": PASSWORD}
    await world.call("POST", "/api/v1/auth/set-password", body, headers={})
    change = {"tenant": CHAIN, "email": email, "password": PASSWORD, "new_password": NEW_PASSWORD}
    await world.call("POST", "/api/v1/auth/change-password", change, headers={})
    return Target(staff_id)


async def accept_membership(world: World) -> Target:
    staff_id = await world.hire(SHOP_OWNER)
    body = {
        "tenant": CHAIN,
        "email": SHOP_OWNER,
        "password": PASSWORD,
        "token": await world.invite(staff_id),
    }
    await world.call("POST", "/api/v1/auth/accept", body, headers={})
    return Target(staff_id)


async def create_role(world: World) -> Target:
    body = {"name": "auditor", "permissions": ["audit:read"], "store_scoped": False}
    return Target(str((await world.call("POST", "/api/v1/roles", body)).json()["id"]))


async def change_role(world: World) -> Target:
    target = await create_role(world)
    await world.call("PATCH", f"/api/v1/roles/{target.resource_id}", {"title": "Auditors"})
    return target


async def configure_plugin(world: World) -> Target:
    body = {"enabled": True, "settings": {"pending_days": 3}}
    await world.call("PUT", "/api/v1/plugins/membership", body)
    return Target("membership")


async def change_plugin(world: World) -> Target:
    await world.call("PATCH", "/api/v1/plugins/membership", {"settings": {"pending_days": 5}})
    return Target("membership")


async def reveal_customer(world: World) -> Target:
    customer_id = await world.customer()
    body = {"fields": ["phone"], "reason": "核对发票信息"}
    await world.call("POST", f"/api/v1/customers/{customer_id}/reveal", body)
    return Target(customer_id)


async def change_consent(world: World) -> Target:
    customer_id = await world.customer()
    consent = {"purpose": "marketing", "channel": "sms", "granted": True, "source": "front_desk"}
    await world.call("PUT", f"/api/v1/customers/{customer_id}/consents", {"consents": [consent]})
    return Target(customer_id)


async def word_template(world: World) -> Target:
    body = {"purpose": "marketing", "fields": ["discount"], "body": "春季保养{discount}折"}
    await world.call("PUT", "/api/v1/message-templates/spring_sale", body)
    return Target(await _template_id(world, "spring_sale"))


async def reply_td(world: World) -> Target:
    customer_id = (await change_consent(world)).resource_id
    reply = {"channel": "sms", "from": "13912345678", "text": "TD"}
    await world.call("POST", "/api/v1/messages/inbound", reply)
    return Target(customer_id)


async def unsubscribe_link(world: World) -> Target:
    from pitstop.messaging.unsubscribe import link_token
    from pitstop.tenancy.sealing import Sealer

    customer_id = (await change_consent(world)).resource_id
    sealer = Sealer(world.runtime.settings.secret_key)
    token = link_token(sealer, await world.tenant_id(CHAIN), uuid.UUID(customer_id), "sms")
    await world.call("POST", f"/api/v1/unsubscribe/{token}", headers={})
    return Target(customer_id)


async def set_rules(world: World) -> Target:
    await world.call("PUT", "/api/v1/message-rules", {"quiet_start": "20:30"})
    return Target(str(await world.tenant_id(CHAIN)))


async def _template_id(world: World, name: str) -> str:
    from pitstop.messaging.models import MessageTemplate

    async with world.runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant.id).where(Tenant.slug == CHAIN))).one()
        with tenant_scope(tenant):
            row = await session.scalars(
                select(MessageTemplate.id).where(MessageTemplate.name == name)
            )
            return str(row.one())


async def erase_customer(world: World) -> Target:
    customer_id = await world.customer()
    await world.call("POST", f"/api/v1/customers/{customer_id}/erase", {"reason": "客户要求"})
    return Target(customer_id)


async def retry_delivery(world: World) -> Target:
    """A delivery that failed every attempt, as the relay and worker would have left it."""
    tenant_id = await world.tenant_id(CHAIN)
    async with world.runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            event = await emit(session, "service_order.completed", completed_order())
            delivery = EventDelivery(
                event_id=event.id, plugin="membership", status=DeliveryStatus.failed, attempts=5
            )
            session.add(delivery)
            await session.flush()
            delivery_id = str(delivery.id)
    await world.call("POST", f"/api/v1/events/deliveries/{delivery_id}/retry")
    return Target(delivery_id)


async def _account(world: World, customer_id: str) -> Target:
    """Membership audits the account (the plugin's record), not the customer."""
    async with world.runtime.sessions() as session:
        with tenant_scope(await world.tenant_id(CHAIN)):
            statement = select(MemberAccount.id).where(
                MemberAccount.customer_id == uuid.UUID(customer_id)
            )
            return Target(str((await session.scalars(statement)).one()))


async def adjust_points(world: World) -> Target:
    customer_id = await world.customer()
    body = {"points": 100, "reason": "开业赠送"}
    await world.call("POST", f"/api/v1/membership/accounts/{customer_id}/adjust", body)
    return await _account(world, customer_id)


async def override_tier(world: World) -> Target:
    customer_id = await world.customer()
    until = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    body = {"tier": "gold", "reason": "大客户协议", "until": until}
    await world.call("PUT", f"/api/v1/membership/accounts/{customer_id}/tier", body)
    return await _account(world, customer_id)


async def _voucher_template(world: World) -> str:
    body = {"code": "AUDIT50", "title": "审计券", "kind": "amount", "amount": 5_000,
            "valid_days": 30}  # fmt: skip
    return str(
        (await world.call("POST", "/api/v1/membership/voucher-templates", body)).json()["id"]
    )


async def create_voucher_template(world: World) -> Target:
    return Target(await _voucher_template(world))


async def change_voucher_template(world: World) -> Target:
    template_id = await _voucher_template(world)
    body = {"active": False}
    await world.call("PATCH", f"/api/v1/membership/voucher-templates/{template_id}", body)
    return Target(template_id)


async def void_voucher(world: World) -> Target:
    template_id = await _voucher_template(world)
    body = {"template_id": template_id, "customer_id": await world.customer(), "reason": "补发"}
    voucher_id = (await world.call("POST", "/api/v1/membership/vouchers", body)).json()["id"]
    await world.call("POST", f"/api/v1/membership/vouchers/{voucher_id}/void", {"reason": "发错"})
    return Target(str(voucher_id))


async def create_tenant(world: World) -> Target:
    body = {"slug": "demo-new", "name": "新店", "kind": "shop"}
    created = await world.call("POST", "/api/v1/platform/tenants", body, await world.operator())
    return Target(str(created.json()["id"]), tenant="demo-new")


async def suspend_tenant(world: World) -> Target:
    headers = await world.operator()
    await world.call("POST", "/api/v1/platform/tenants/demo-shop/suspend", headers=headers)
    return Target(str(await world.tenant_id("demo-shop")), tenant="demo-shop")


async def resume_tenant(world: World) -> Target:
    target = await suspend_tenant(world)
    await world.call(
        "POST", "/api/v1/platform/tenants/demo-shop/resume", headers=await world.operator()
    )
    return target


# -- trade-in: each route on a lead of SH001 brought to the stage it needs -----------------

_INSPECTION = {
    p: {"grade": 4} for p in ("exterior", "interior", "mechanical", "tyres", "electrical")
}
_CAMRY = {"make": "Toyota", "model": "Camry", "year": 2022, "purchase_date": "2022-03-01"}


async def _tradein(world: World, stage: str = "lead", amount_pct: int = 100) -> dict[str, str]:
    """A lead at ``lead``, ``appraised`` or ``offered`` (``amount_pct`` of the valuation)."""
    from tests.crm.conftest import make_plate, make_vin

    table = {
        "rows": [{**{k: _CAMRY[k] for k in ("make", "model", "year")}, "base_value": 20_000_000}]
    }
    await world.call("PUT", "/api/v1/tradein/price-table", table)
    customer_id = await world.customer()
    serial = 9000 + len(world.personal)
    vehicle = await world.call(
        "POST",
        "/api/v1/vehicles",
        {
            "customer_id": customer_id,
            "vin": make_vin(serial),
            "plate": make_plate(serial),
            **_CAMRY,
        },
    )
    advisor = await world.demo.headers("service_advisor")
    body = {"vehicle_id": vehicle.json()["id"], "source": "walk_in"}
    lead = (await world.call("POST", "/api/v1/tradein/leads", body, advisor)).json()
    ids = {"lead": str(lead["id"])}
    if stage == "lead":
        return ids
    base = f"/api/v1/tradein/leads/{ids['lead']}"
    appraisal = await world.call(
        "POST", f"{base}/appraisals", {"odometer_km": 45_000, "inspection": _INSPECTION}, advisor
    )
    if stage == "appraised":
        return ids
    amount = appraisal.json()["valuation"] * amount_pct // 100
    offer = await world.call("POST", f"{base}/offers", {"amount": amount}, advisor)
    return {**ids, "offer": str(offer.json()["id"])}


async def _on_lead(
    world: World,
    stage: str,
    path: str,
    body: dict[str, Any] | None = None,
    role: str = "store_manager",
    amount_pct: int = 100,
) -> Target:
    ids = await _tradein(world, stage, amount_pct)
    url = f"/api/v1/tradein/leads/{ids['lead']}{path.format(**ids)}"
    response = await world.call("POST", url, body or {}, await world.demo.headers(role))
    return Target(str(response.json()["id"]))


async def tradein_price_table(world: World) -> Target:
    table = {"rows": [{"make": "Toyota", "model": "Camry", "year": 2022, "base_value": 1}]}
    await world.call("PUT", "/api/v1/tradein/price-table", table)
    return Target(str(await world.tenant_id(CHAIN)))


async def tradein_lead(world: World) -> Target:
    return Target((await _tradein(world))["lead"])


async def tradein_appraise(world: World) -> Target:
    ids = await _tradein(world)
    body = {"odometer_km": 45_000, "inspection": _INSPECTION}
    url = f"/api/v1/tradein/leads/{ids['lead']}/appraisals"
    await world.call("POST", url, body, await world.demo.headers("service_advisor"))
    return Target(ids["lead"])


async def tradein_offer(world: World) -> Target:
    ids = await _tradein(world, "offered")
    return Target(ids["offer"])


async def tradein_approve(world: World) -> Target:
    return await _on_lead(world, "offered", "/offers/{offer}/approve", amount_pct=200)


async def tradein_reject(world: World) -> Target:
    return await _on_lead(world, "offered", "/offers/{offer}/reject", amount_pct=200)


async def _lead_target(
    world: World,
    stage: str,
    path: str,
    body: dict[str, Any] | None = None,
    role: str = "store_manager",
) -> Target:
    ids = await _tradein(world, stage)
    url = f"/api/v1/tradein/leads/{ids['lead']}{path.format(**ids)}"
    await world.call("POST", url, body or {}, await world.demo.headers(role))
    return Target(ids["lead"])


async def tradein_accept(world: World) -> Target:
    return await _lead_target(world, "offered", "/offers/{offer}/accept")


async def tradein_decline(world: World) -> Target:
    return await _lead_target(world, "offered", "/offers/{offer}/decline")


async def tradein_lost(world: World) -> Target:
    return await _lead_target(world, "lead", "/lost", {"reason": "客户不卖了"})


async def _accepted(world: World) -> dict[str, str]:
    ids = await _tradein(world, "offered")
    url = f"/api/v1/tradein/leads/{ids['lead']}/offers/{ids['offer']}/accept"
    await world.call("POST", url, {}, await world.demo.headers("store_manager"))
    return ids


_PURCHASE = {"price": 5_000_000, "replacement": {"bought_from_us": True, "amount": 20_000_000}}


async def tradein_purchase(world: World) -> Target:
    ids = await _accepted(world)
    manager = await world.demo.headers("store_manager")
    await world.call("POST", f"/api/v1/tradein/leads/{ids['lead']}/purchase", _PURCHASE, manager)
    return Target(ids["lead"])


async def tradein_reconditioned(world: World) -> Target:
    ids = await _accepted(world)
    manager = await world.demo.headers("store_manager")
    base = f"/api/v1/tradein/leads/{ids['lead']}"
    await world.call("POST", f"{base}/purchase", _PURCHASE, manager)
    await world.call("POST", f"{base}/reconditioned", {}, manager)
    return Target(ids["lead"])


async def tradein_sold(world: World) -> Target:
    ids = await _accepted(world)
    manager = await world.demo.headers("store_manager")
    base = f"/api/v1/tradein/leads/{ids['lead']}"
    await world.call("POST", f"{base}/purchase", _PURCHASE, manager)
    await world.call("POST", f"{base}/sold", {"price": 6_000_000, "channel": "retail"}, manager)
    return Target(ids["lead"])


async def _referral(world: World, *, held: bool = False) -> dict[str, str]:
    """A referrer's code and a new customer linked to it (held for review: same address)."""
    address = {"address": "上海市静安区南京西路 1 号"} if held else {}
    referrer = await world.call(
        "POST", "/api/v1/customers", {"name": "李雷", "phone": "13912340001", **address}
    )
    referee = await world.call(
        "POST", "/api/v1/customers", {"name": "林涛", "phone": "13912340002", **address}
    )
    world.personal |= {"李雷", "林涛", "13912340001", "13912340002"}
    code = await world.call(
        "POST", "/api/v1/referrals/codes", {"customer_id": referrer.json()["id"]}
    )
    body = {"code": code.json()["code"], "referee_customer_id": referee.json()["id"]}
    linked = await world.call("POST", "/api/v1/referrals", body)
    return {"code": str(code.json()["id"]), "referral": str(linked.json()["id"])}


async def referrals_code(world: World) -> Target:
    customer_id = await world.customer()
    code = await world.call("POST", "/api/v1/referrals/codes", {"customer_id": customer_id})
    return Target(str(code.json()["id"]))


async def referrals_link(world: World) -> Target:
    return Target((await _referral(world))["referral"])


async def referrals_approve(world: World) -> Target:
    referral = (await _referral(world, held=True))["referral"]
    await world.call("POST", f"/api/v1/referrals/{referral}/approve", {"reason": "一家人"})
    return Target(referral)


async def referrals_reject(world: World) -> Target:
    referral = (await _referral(world, held=True))["referral"]
    await world.call("POST", f"/api/v1/referrals/{referral}/reject", {"reason": "同一人"})
    return Target(referral)


async def _retention_rows(world: World) -> tuple[str, str]:
    """A follow-up call and a survey of the chain's SH001, as a completed order leaves them."""
    customer_id, store_id = (
        uuid.UUID(await world.customer()),
        uuid.UUID(await world.demo.store_id()),
    )
    tenant_id, now = await world.tenant_id(CHAIN), dt.datetime.now(dt.UTC)
    async with world.runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            order_id = uuid.uuid4()
            survey = Survey(order_id=order_id, customer_id=customer_id, store_id=store_id,
                            created_at=now)  # fmt: skip
            task = Task(kind="follow_up", dedupe_key=f"follow_up:{order_id}:7",
                        customer_id=customer_id, store_id=store_id, order_id=order_id,
                        due_at=now, created_at=now)  # fmt: skip
            session.add_all([survey, task])
            await session.flush()
            return str(task.id), str(survey.id)


async def retention_task_outcome(world: World) -> Target:
    task_id, _ = await _retention_rows(world)
    body = {"outcome": "reached", "note": "客户满意"}
    await world.call("POST", f"/api/v1/retention/tasks/{task_id}/outcome", body)
    return Target(task_id)


async def retention_survey(world: World) -> Target:
    _, survey_id = await _retention_rows(world)
    body = {"csi": 5, "nps": 10, "comment": "很好"}
    await world.call("POST", f"/api/v1/retention/surveys/{survey_id}", body)
    return Target(survey_id)


async def retention_survey_by_link(world: World) -> Target:
    """The customer answers on their own page, through the link the day-1 message carries."""
    _, survey_id = await _retention_rows(world)
    link = Link(
        "retention", "survey", await world.tenant_id(CHAIN), uuid.UUID(survey_id),
        world.runtime.clock() + dt.timedelta(days=1),
    )  # fmt: skip
    token = sign(world.runtime.settings.secret_key, link)
    await world.call("POST", f"/api/v1/retention/r/{token}", {"csi": 4, "nps": 9}, headers={})
    return Target(survey_id)


async def sms_receipts(world: World) -> Target:
    """An empty batch of delivery reports: the call itself is what the log records."""
    await world.call("POST", "/api/v1/sms/receipts", [])
    return Target(None)  # type: ignore[arg-type]  # a batch names no one record


async def retention_store_interval(world: World) -> Target:
    store_id = await world.demo.store_id()
    body = {"km": 3_000, "months": 3}
    await world.call("PUT", f"/api/v1/retention/store-intervals/{store_id}", body)
    return Target(store_id)


async def retention_store_interval_cleared(world: World) -> Target:
    store_id = await retention_store_interval(world)
    await world.call("DELETE", f"/api/v1/retention/store-intervals/{store_id.resource_id}")
    return store_id


async def message_reconcile(world: World) -> Target:
    """A message a dead worker left unconfirmed, settled by HQ as not sent."""
    customer_id, tenant_id = uuid.UUID(await world.customer()), await world.tenant_id(CHAIN)
    async with world.runtime.sessions() as session, session.begin():
        with tenant_scope(tenant_id):
            message = Message(customer_id=customer_id, purpose="service", channel="console",
                              template="service_due", status="unconfirmed",
                              reason="send_interrupted", attempts=1)  # fmt: skip
            session.add(message)
            await session.flush()
            message_id = str(message.id)
    await world.call("POST", f"/api/v1/messages/{message_id}/reconcile", {"outcome": "not_sent"})
    return Target(message_id)


async def sms_tencent_receipts(world: World) -> Target:
    """Tencent Cloud's status callback, an empty batch: the call is what the log records."""
    await world.call("POST", "/api/v1/sms/receipts/tencent", [])
    return Target(None)  # type: ignore[arg-type]  # a batch names no one record


async def sms_replies(world: World) -> Target:
    """Aliyun's reply push, a customer's "TD": counts only reach the log, never the number."""
    world.personal.add("13912340001")
    body = [{"phone_number": "13912340001", "content": "TD", "sign_name": ""}]
    await world.call("POST", "/api/v1/sms/replies", body)
    return Target(None)  # type: ignore[arg-type]  # a batch names no one record


async def sms_tencent_reply(world: World) -> Target:
    world.personal.add("13912340002")
    body = {"mobile": "13912340002", "nationcode": "86", "text": "退订", "sign": "", "time": 1}
    await world.call("POST", "/api/v1/sms/replies/tencent", body)
    return Target(None)  # type: ignore[arg-type]  # one reply names no record of ours


async def wecom_contact_linked(world: World) -> Target:
    """A customer linked to a WeCom external contact: the id itself is personal data."""
    customer_id = await world.customer()
    world.personal.add("wmDemoExternal01")
    body = {"external_userid": "wmDemoExternal01"}
    await world.call("PUT", f"/api/v1/wecom/contacts/{customer_id}", body)
    return Target(customer_id)


async def wecom_contact_unlinked(world: World) -> Target:
    customer_id = await world.customer()
    await world.call("DELETE", f"/api/v1/wecom/contacts/{customer_id}")
    return Target(customer_id)


async def wecom_event(world: World) -> Target:
    """WeCom's add-contact event, relayed: the customer named by the QR code's state."""
    settings = {"corp_id": CORP_ID, "callback_token_secret": TOKEN,
                "callback_aes_key_secret": AES_KEY}  # fmt: skip
    await world.call("PATCH", "/api/v1/plugins/wecom", {"settings": settings})
    customer_id = await world.customer()
    world.personal.add("wmDemoExternal02")
    event = contact_event(
        "add_external_contact", "wmDemoExternal02", state_for(uuid.UUID(customer_id))
    )
    query, body = sealed_callback(event)
    query.pop("encrypted")
    headers = await world.demo.headers()
    response = await world.demo.client.post(
        "/api/v1/wecom/events", params=query, content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    world.last_request_id = response.headers["x-request-id"]
    return Target(customer_id)


async def retention_recompute(world: World) -> Target:
    await world.call("POST", "/api/v1/retention/recompute")
    return Target(str(await world.tenant_id(CHAIN)))
