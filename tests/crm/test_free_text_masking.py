"""Free text carries no personal data past masking, in the core and in every plugin.

Staff type phones, ID numbers, e-mails, plates and VINs into tags, notes, reasons and
descriptions. Every free-text field of the core and of every installed plugin is seeded
with all five; then every GET route of the app (generated from its routes, not listed) is
read as every role, and no class a role sees masked appears raw in any answer: it appears
in the structured mask format instead. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar

from pitstop.access.masking import policy_for
from pitstop.access.permissions import ROLE_TEMPLATES
from pitstop.access.pii import mask
from pitstop.db.tenant_context import tenant_scope
from pitstop_retention.models import Survey, Task
from tests.crm.conftest import LINE, Crm, make_vin

SECRETS = {
    "phone": "13912345678",
    "id_number": "11010519491231002X",
    "email": "nana@example.com",
    "plate": "沪A54321",
    "vin": make_vin(4242),
}
NOTE = (
    f"联系电话{SECRETS['phone']}，身份证{SECRETS['id_number']}，邮箱{SECRETS['email']}，"
    f"车牌{SECRETS['plate']}，车架号{SECRETS['vin']}"
)


@dataclass
class Seeded:
    """Ids of the records whose free text was seeded, by the path parameter naming them."""

    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        self.ids.setdefault(name, []).append(value)


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def seed_core(crm: Crm, seeded: Seeded) -> None:
    """Tags, city, consent channel, vehicle make/model/colour, mileage note, order line,
    refund reason, a manual contact's note."""
    client, admin = crm.demo.client, await crm.headers()
    customer = await crm.customer(
        tags=list(SECRETS.values()),
        city=NOTE,
        marketing_consent=True,
        consent_channel=SECRETS["email"],
        home_store_id=crm.stores["SH001"],
    )
    vehicle = await crm.vehicle(customer["id"], make=NOTE, model=NOTE, colour=SECRETS["plate"])
    await _ok(
        await client.post(
            f"/api/v1/vehicles/{vehicle['id']}/mileage",
            json={"mileage_km": 100, "note": NOTE},
            headers=admin,
        ),
        201,
    )
    order = await crm.order(
        "SH001", customer["id"], vehicle["id"], lines=[{**LINE, "description": NOTE}]
    )
    await crm.complete(order["id"], 200)
    await _ok(
        await client.post(
            f"/api/v1/service-orders/{order['id']}/refund", json={"reason": NOTE}, headers=admin
        )
    )
    await _ok(
        await client.post(
            "/api/v1/messages/manual",
            json={
                "customer_id": customer["id"],
                "channel": "phone",
                "outcome": "reached",
                "note": NOTE,
                "store_id": crm.stores["SH001"],  # where the store-scoped roles can read it
            },
            headers=admin,
        ),
        201,
    )
    seeded.add("customer_id", customer["id"])
    seeded.add("vehicle_id", vehicle["id"])
    seeded.add("order_id", order["id"])
    seeded.add("store_id", crm.stores["SH001"])  # the console's store page
    role = {"name": "front_desk_lead", "permissions": ["customers:read"], "store_scoped": True}
    made = await _ok(await client.post("/api/v1/roles", json=role, headers=admin), 201)
    seeded.add("role_id", made["id"])  # the console's role page
    staff = await _ok(await client.get("/api/v1/staff", headers=admin))
    seeded.add("staff_id", staff["items"][0]["id"])  # the console's staff member page


async def seed_membership(crm: Crm, seeded: Seeded) -> None:
    """Ledger reasons (a grant and a redemption), the tier override reason, and the reason
    a voucher was issued."""
    client, admin = crm.demo.client, await crm.headers()
    customer_id = seeded.ids["customer_id"][0]
    base = f"/api/v1/membership/accounts/{customer_id}"
    await _ok(await client.post(f"{base}/enrol", headers=admin))
    for path, body in (
        ("adjust", {"points": 500, "reason": NOTE, "store_id": crm.stores["SH001"]}),
        ("redeem", {"points": 100, "reason": NOTE, "store_id": crm.stores["SH001"]}),
    ):
        await _ok(await client.post(f"{base}/{path}", json=body, headers=admin))
    until = "2099-01-01"
    await _ok(
        await client.put(
            f"{base}/tier", json={"tier": None, "reason": NOTE, "until": until}, headers=admin
        )
    )
    template = {"code": "NOTE50", "title": "券", "kind": "amount", "amount": 100, "valid_days": 9}
    made = await _ok(
        await client.post("/api/v1/membership/voucher-templates", json=template, headers=admin),
        201,
    )
    issue = {"template_id": made["id"], "customer_id": customer_id, "reason": NOTE}
    voucher = await _ok(
        await client.post("/api/v1/membership/vouchers", json=issue, headers=admin), 201
    )
    seeded.add("template_id", made["id"])
    seeded.add("voucher_id", voucher["id"])


async def seed_complaints(crm: Crm, seeded: Seeded) -> None:
    """Description, resolution and a note on every step of the workflow."""
    client, admin = crm.demo.client, await crm.headers()
    body = {
        "customer_id": seeded.ids["customer_id"][0],
        "store_id": crm.stores["SH001"],
        "severity": "B",
        "category": "service_quality",
        "channel": "phone",
        "description": NOTE,
    }
    complaint = await _ok(await client.post("/api/v1/complaints", json=body, headers=admin), 201)
    url = f"/api/v1/complaints/{complaint['id']}"
    staff = (await _ok(await client.get("/api/v1/staff?limit=200", headers=admin)))["items"]
    manager = next(s["id"] for s in staff if s["role"] == "store_manager")
    for step, extra in (
        ("acknowledge", {}),
        ("status", {"status": "awaiting_customer"}),
        ("reply", {}),
        ("assign", {"staff_id": manager}),
    ):
        await _ok(await client.post(f"{url}/{step}", json={**extra, "note": NOTE}, headers=admin))
    await _ok(await client.post(f"{url}/resolve", json={"resolution": NOTE}, headers=admin))
    survey = {"satisfaction": 5, "resolved": True, "note": NOTE}
    await _ok(await client.post(f"{url}/survey", json=survey, headers=admin))
    await _ok(await client.post(f"{url}/reopen", json={"note": NOTE}, headers=admin))
    seeded.add("complaint_id", complaint["id"])


async def seed_tradein(crm: Crm, seeded: Seeded) -> None:
    """A lead's note, an appraisal's inspection notes and rollback reason, a lost reason
    (written by the store manager: appraising is store work, not HQ's)."""
    client, admin = crm.demo.client, await crm.headers("store_manager")
    lead = await _ok(
        await client.post(
            "/api/v1/tradein/leads",
            json={
                "vehicle_id": seeded.ids["vehicle_id"][0],
                "source": "walk_in",
                "note": NOTE,
                "store_id": crm.stores["SH001"],
            },
            headers=admin,
        ),
        201,
    )
    part = {"grade": 4, "note": NOTE}
    appraisal = {
        "odometer_km": 50,  # below the seeded reading of 100: confirmed, with a reason
        "inspection": dict.fromkeys(
            ("exterior", "interior", "mechanical", "tyres", "electrical"), part
        ),
        "book_value": 8_000_000,
        "book_value_source": "manual",
        "confirm_odometer": True,
        "odometer_reason": NOTE,
    }
    base = f"/api/v1/tradein/leads/{lead['id']}"
    await _ok(await client.post(f"{base}/appraisals", json=appraisal, headers=admin), 201)
    await _ok(await client.post(f"{base}/lost", json={"reason": NOTE}, headers=admin))
    seeded.add("lead_id", lead["id"])


async def seed_referrals(crm: Crm, seeded: Seeded) -> None:
    """Referrals store no free text (reasons are codes); the reviewer's reason goes to the
    audit log only. A referral held for review (a shared address) and approved with it."""
    client, admin = crm.demo.client, await crm.headers("store_manager")
    address = {"address": "上海市静安区南京西路 1 号"}
    referrer, referee = await crm.customer(**address), await crm.customer(**address)
    code = await _ok(
        await client.post(
            "/api/v1/referrals/codes", json={"customer_id": referrer["id"]}, headers=admin
        ),
        201,
    )
    body = {"code": code["code"], "referee_customer_id": referee["id"],
            "store_id": crm.stores["SH001"]}  # fmt: skip
    linked = await _ok(await client.post("/api/v1/referrals", json=body, headers=admin), 201)
    url = f"/api/v1/referrals/{linked['id']}/approve"
    await _ok(await client.post(url, json={"reason": NOTE}, headers=admin))
    seeded.add("code", code["code"])
    seeded.add("referral_id", linked["id"])


async def seed_retention(crm: Crm, seeded: Seeded) -> None:
    """A follow-up call's outcome note and a survey's comment (the call and the survey as a
    completed order leaves them: written under the tenant, then worked through the API)."""
    customer_id = uuid.UUID(seeded.ids["customer_id"][0])
    store_id, now = uuid.UUID(crm.stores["SH001"]), dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    async with crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id):
            order_id = uuid.uuid4()
            task = Task(
                kind="follow_up",
                dedupe_key=f"follow_up:{order_id}:7",
                customer_id=customer_id,
                store_id=store_id,
                due_at=now,
                created_at=now,
            )
            survey = Survey(order_id=order_id, customer_id=customer_id, store_id=store_id,
                            created_at=now)  # fmt: skip
            session.add_all([task, survey])
            await session.flush()
            ids = str(task.id), str(survey.id)
    client, admin = crm.demo.client, await crm.headers()
    base = "/api/v1/retention"
    body = {"outcome": "no_answer", "note": NOTE}
    await _ok(await client.post(f"{base}/tasks/{ids[0]}/outcome", json=body, headers=admin))
    body = {"csi": 3, "nps": 7, "comment": NOTE}
    await _ok(await client.post(f"{base}/surveys/{ids[1]}", json=body, headers=admin))


async def seed_nothing(crm: Crm, seeded: Seeded) -> None:
    """A channel plugin (webhook) stores no text of its own: messages live in the core's log."""


PLUGIN_SEEDERS: dict[str, Callable[[Crm, Seeded], Awaitable[None]]] = {
    "membership": seed_membership,
    "complaints": seed_complaints,
    "tradein": seed_tradein,
    "referrals": seed_referrals,
    "retention": seed_retention,
    "webhook": seed_nothing,
    "sms": seed_nothing,
    "wecom": seed_nothing,
}


def get_routes(app: Litestar) -> list[str]:
    """Every GET route a tenant's staff can call (public and platform routes hold none)."""
    paths = []
    for route in app.routes:
        handler_map = getattr(route, "route_handler_map", {})
        if "GET" not in handler_map or route.path.startswith("/schema"):
            continue
        entry = handler_map["GET"]
        handler = entry[0] if isinstance(entry, tuple) else entry
        if handler.opt.get("public") or route.path.startswith("/api/v1/platform"):
            continue
        if handler.opt.get("link"):
            continue  # a signed link's page: no staff role reaches it (it shows no free text)
        paths.append(route.path)
    return sorted(paths)


def urls_for(path: str, seeded: Seeded, plugins: list[str]) -> list[str]:
    """The route with each path parameter filled by a seeded id (every combination)."""
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    values = {**seeded.ids, "name": plugins}
    missing = [n for n in names if n not in values]
    assert not missing, f"{path}: seed a record for {missing}"
    urls = [path]
    for name in names:
        urls = [
            re.sub(r"\{" + name + r"(?::\w+)?\}", value, url, count=1)
            for url in urls
            for value in values[name]
        ]
    return urls


def masked_for(role: str) -> dict[str, str]:
    visible = policy_for(role)
    return {cls: raw for cls, raw in SECRETS.items() if cls not in visible}


async def test_no_role_reads_a_masked_class_raw_from_any_free_text(crm: Crm, app: Litestar) -> None:
    # Given every free-text field of the core and of every installed plugin holding a
    # phone, an ID number, an e-mail, a plate and a VIN
    plugins = sorted(crm.demo.runtime.plugins.plugins)
    assert set(plugins) == set(PLUGIN_SEEDERS), "seed the free text of every plugin"
    seeded = Seeded()
    await seed_core(crm, seeded)
    for name in plugins:
        await PLUGIN_SEEDERS[name](crm, seeded)
    urls = [u for path in get_routes(app) for u in urls_for(path, seeded, plugins)]
    # When every GET route is read by HQ admin (sees all) and by every other role
    carriers: set[str] = set()
    leaks: list[tuple[str, str, str]] = []
    unmasked: list[tuple[str, str, str]] = []
    for role in ["hq_admin", *(r for r in ROLE_TEMPLATES if r != "hq_admin")]:
        headers = await crm.headers(role)
        hidden = masked_for(role)
        for url in urls:
            response = await crm.demo.client.get(url, headers=headers)
            assert response.status_code < 500, (role, url, response.text)
            if response.status_code != 200:
                continue
            body = response.text
            if role == "hq_admin" and SECRETS["phone"] in body:
                carriers.add(url)
            # Then no class the role sees masked appears raw anywhere in the answer
            leaks += [(role, url, cls) for cls, raw in hidden.items() if raw in body]
            # And where HQ saw the raw value, this role sees it in the structured format
            if url in carriers:
                unmasked += [
                    (role, url, c) for c, raw in hidden.items() if mask(raw, c) not in body
                ]
    assert leaks == []
    assert unmasked == []
    # And the walk really passed through every kind of free text (the seeding took)
    routes = {re.sub(r"[0-9a-f-]{36}", "{id}", u) for u in carriers}
    assert {
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/profile",
        "/api/v1/vehicles/{id}/history",
        "/api/v1/service-orders/{id}",
        "/api/v1/complaints/{id}",
        "/api/v1/complaints/{id}/activities",
        "/api/v1/membership/accounts/{id}/ledger",
        "/api/v1/messages",
        "/api/v1/tradein/leads/{id}",
        "/api/v1/tradein/leads/{id}/appraisals",
        "/api/v1/retention/tasks",
    } <= routes


async def test_a_replayed_answer_is_masked_for_whoever_replays_it(crm: Crm) -> None:
    # Given a member with points, and an advisor (sees phones, not ID numbers or e-mails)
    seeded = Seeded()
    await seed_core(crm, seeded)
    await seed_membership(crm, seeded)
    url = f"/api/v1/membership/accounts/{seeded.ids['customer_id'][0]}/redeem"
    body = {"points": 10, "reason": NOTE, "store_id": crm.stores["SH001"]}
    key = {"Idempotency-Key": "redeem-free-text-1"}
    # When the advisor redeems with a reason holding personal data, then replays it, and
    # the SH001 store manager (sees every class) replays the same key
    first = await crm.demo.client.post(
        url, json=body, headers={**await crm.headers("service_advisor"), **key}
    )
    again = await crm.demo.client.post(
        url, json=body, headers={**await crm.headers("service_advisor"), **key}
    )
    manager = await crm.demo.client.post(
        url, json=body, headers={**await crm.headers("store_manager"), **key}
    )
    # Then the advisor reads the ID number and e-mail masked, the first time and on replay
    for response in (first, again):
        assert response.status_code == 200, response.text
        reason = response.json()["entry"]["reason"]
        assert SECRETS["phone"] in reason and mask(SECRETS["id_number"], "id_number") in reason
        assert SECRETS["id_number"] not in reason and SECRETS["email"] not in reason
    assert again.headers["Idempotent-Replayed"] == "true"
    # And the manager's replay of the same answer shows what the manager may see: all of it
    assert manager.status_code == 200 and manager.json()["entry"]["reason"] == NOTE
