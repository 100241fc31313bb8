"""The console without a browser: sign-in, CSRF, headers, masking, scope, forms, errors.

Everything a page decides is checked here through the test client, on the demo chain and
shop; the browser tests (test_console_browser.py) only walk the main journeys. SQLite only:
the pages add no query of their own that could behave differently on PostgreSQL (the
services they call are tested on both).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from pitstop.access.models import AuditEntry
from pitstop.console.session import ACCESS_COOKIE, RENEW_COOKIE
from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.tenancy.models import Tenant
from pitstop.testing.records import serial, vin
from tests.console.support import Browserless, customer_with_car, field_error, signed_in
from tests.support.demo import PASSWORD, Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _tenant_id(demo: Demo, slug: str = "demo-chain") -> Any:
    async with demo.runtime.sessions() as session:
        return (await session.scalars(select(Tenant.id).where(Tenant.slug == slug))).one()


async def test_signing_in_sets_a_locked_down_session_cookie_and_signing_out_ends_it(
    app: Litestar, demo: Demo
) -> None:
    # Given the sign-in page (which hands out the CSRF cookie)
    async with AsyncTestClient(app=app) as http:
        person = Browserless(http)
        page = await person.get("/console/login?next=/console/search")
        assert page.status_code == 200 and 'name="password"' in page.text
        # When the advisor signs in with a wrong password, then the right one
        form = {"tenant": "demo-chain", "email": "advisor.sh001@demo-chain.example"}
        wrong = await person.post("/console/login", {**form, "password": "not-it-at-all"})
        # Then the wrong one is the one indistinguishable refusal, on the form again
        assert wrong.status_code == 401
        assert "租户、邮箱或密码错误" in wrong.text and ACCESS_COOKIE not in http.cookies
        right = await person.post(
            "/console/login", {**form, "password": PASSWORD, "next": "/console/search"}
        )
        # And the right one lands on the page asked for with HttpOnly, SameSite=Lax cookies
        assert right.status_code == 303 and right.headers["location"] == "/console/search"
        cookies = right.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith(ACCESS_COOKIE + "="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/console" in session
        assert "Secure" not in session  # embedded: plain HTTP on the loopback
        assert (await person.get("/console/search")).status_code == 200
        # When they sign out
        out = await person.post("/console/logout", {})
        # Then the cookies are gone and the old token no longer opens a page
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        http.cookies.set(ACCESS_COOKIE, right.cookies[ACCESS_COOKIE])
        again = await person.get("/console/search")
        assert again.status_code == 303 and "/console/session/renew" in again.headers["location"]


async def test_a_page_without_a_session_goes_through_renew_to_the_sign_in_page(
    app: Litestar, demo: Demo
) -> None:
    async with AsyncTestClient(app=app) as http:
        person = Browserless(http)
        # When a page is asked for with no session
        first = await person.get("/console/search?q=1234")
        # Then it goes to renew, which (no refresh cookie) goes to sign-in, keeping the page
        assert first.status_code == 303
        renew = await person.get(first.headers["location"])
        assert renew.status_code == 303
        assert renew.headers["location"] == "/console/login?next=/console/search%3Fq%3D1234"


async def test_an_expired_access_token_is_renewed_from_the_refresh_cookie(
    app: Litestar, demo: Demo
) -> None:
    # Given a signed-in advisor whose access cookie has gone (expired), refresh cookie kept
    async with AsyncTestClient(app=app) as http:
        person = Browserless(http)
        await person.get("/console/login")
        form = {"tenant": "demo-chain", "email": "advisor.sh001@demo-chain.example"}
        await person.post("/console/login", {**form, "password": PASSWORD})
        refresh = http.cookies[RENEW_COOKIE]
        http.cookies.clear()
        http.cookies.set(RENEW_COOKIE, refresh)
        # When a page is opened, Then renew issues new cookies and returns to the page
        first = await person.get("/console/worklist")
        renewed = await person.get(first.headers["location"])
        assert renewed.status_code == 303 and renewed.headers["location"] == "/console/worklist"
        http.cookies.set(ACCESS_COOKIE, renewed.cookies[ACCESS_COOKIE])
        assert (await person.get("/console/worklist")).status_code == 200


async def test_a_form_post_without_the_csrf_token_is_refused(app: Litestar, demo: Demo) -> None:
    # Given a signed-in HQ admin
    admin = await signed_in(app, demo, "hq_admin")
    await admin.get("/console/hq/plugins/webhook")
    # When a plugin is switched on without the token, and with a forged one
    missing = await admin.post("/console/hq/plugins/webhook/enabled", {"enabled": "1"}, csrf=False)
    forged = await admin.post(
        "/console/hq/plugins/webhook/enabled",
        {"enabled": "1", "_csrf_token": "0" * 128},
        csrf=False,
    )
    # Then both are a 403 page and nothing changed
    assert missing.status_code == forged.status_code == 403
    assert "text/html" in missing.headers["content-type"]
    page = await admin.get("/console/hq/plugins/webhook")
    assert 'id="plugin-state">关闭' in page.text


async def test_the_plugins_page_names_each_plugin_in_the_readers_words(
    app: Litestar, demo: Demo
) -> None:
    # Given a signed-in HQ admin reading Chinese (the default)
    admin = await signed_in(app, demo, "hq_admin")
    # When the plugins page and one plugin's page are opened
    listed = (await admin.get("/console/hq/plugins")).text
    one = (await admin.get("/console/hq/plugins/complaints")).text
    # Then the names and descriptions are the plugins' Chinese, not their English source
    assert "会员与积分" in listed and "客诉 SLA" in listed and "企业微信" in listed
    assert "Membership &amp; points" not in listed and "Tiers on rolling spend" not in listed
    assert "<h1>客诉 SLA" in one and "按严重程度分级的客诉" in one


async def test_a_car_is_named_once_by_its_make(app: Litestar, demo: Demo) -> None:
    # Given a car whose VIN decodes to a manufacturer that is also its make
    customer_id, _, vehicle_id = await customer_with_car(demo)
    car = (await demo.client.get(f"/api/v1/vehicles/{vehicle_id}", headers=await
           demo.headers("hq_admin"))).json()  # fmt: skip
    name = car["make"] or car["manufacturer"]
    assert name, car
    # When the customer's page is opened
    page = await (await signed_in(app, demo, "hq_admin")).get(f"/console/customers/{customer_id}")
    # Then the car's row names the make once
    assert page.text.count(name) == 1, name


async def test_the_api_never_takes_the_console_cookie(app: Litestar, demo: Demo) -> None:
    # Given a console session
    admin = await signed_in(app, demo, "hq_admin")
    # When the JSON API is called with only the cookie, Then it is not authenticated
    response = await admin.get("/api/v1/customers")
    assert response.status_code == 401


async def test_every_page_has_a_strict_csp_and_no_inline_script(app: Litestar, demo: Demo) -> None:
    # Given a customer with a car and the HQ admin at the console
    customer_id, _, vehicle_id = await customer_with_car(demo)
    admin = await signed_in(app, demo, "hq_admin")
    for path in (
        "/console/login",
        "/console/search?q=张",
        f"/console/customers/{customer_id}",
        "/console/customers/new",
        f"/console/orders/new?vehicle_id={vehicle_id}",
        "/console/worklist",
        "/console/hq/plugins",
        "/console/hq/plugins/membership",
        "/console/orders/00000000-0000-7000-8000-000000000000",
    ):
        # When the page is opened
        page = await admin.get(path)
        # Then the policy allows only this site's scripts and no script is inline
        assert page.status_code in (200, 404), path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert page.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert not re.search(r"\son[a-z]+\s*=", page.text), path


async def test_a_technician_sees_masked_people_and_no_reveal(app: Litestar, demo: Demo) -> None:
    # Given a customer found by the last four digits of the phone
    customer_id, phone, _ = await customer_with_car(demo)
    technician = await signed_in(app, demo, "technician")
    advisor = await signed_in(app, demo, "service_advisor")
    # When the technician and the advisor search and open the customer
    found_by_tech = await technician.get(f"/console/search?q={phone[-4:]}")
    page_for_tech = await technician.get(f"/console/customers/{customer_id}")
    page_for_advisor = await advisor.get(f"/console/customers/{customer_id}")
    # Then the technician sees the phone and name masked, and no reveal form
    masked = phone[:3] + "****" + phone[-4:]
    assert masked in found_by_tech.text and phone not in found_by_tech.text
    assert masked in page_for_tech.text and phone not in page_for_tech.text
    assert "张*" in page_for_tech.text and "reveal-form" not in page_for_tech.text
    # And the advisor (who sees phones) sees it in full
    assert phone in page_for_advisor.text
    # And a reveal posted by hand is refused
    refused = await technician.post(
        f"/console/customers/{customer_id}/reveal", {"fields": "phone", "reason": "checking"}
    )
    assert refused.status_code == 403


async def test_a_reveal_needs_a_reason_and_is_audited(app: Litestar, demo: Demo) -> None:
    # Given a customer with an e-mail, and the HQ admin (who may reveal)
    customer_id, _, _ = await customer_with_car(demo, email="zhang@example.com")
    admin = await signed_in(app, demo, "hq_admin")
    # When the admin reveals without a reason, then with one
    bare = await admin.post(
        f"/console/customers/{customer_id}/reveal", [("fields", "email"), ("reason", "")]
    )
    given = await admin.post(
        f"/console/customers/{customer_id}/reveal",
        [("fields", "email"), ("fields", "phone"), ("reason", "customer asked by phone")],
    )
    # Then the first names the reason and reveals nothing; the second shows the raw values
    assert bare.status_code == 422 and 'id="revealed"' not in bare.text
    assert given.status_code == 200 and "zhang@example.com" in given.text
    # And exactly one reveal is in the audit log, with its reason
    async with demo.runtime.sessions() as session:
        with tenant_scope(await _tenant_id(demo)):
            rows = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "customer.reveal")
                )
            ).all()
    assert len(rows) == 1 and rows[0].detail["reason"] == "customer asked by phone"


async def test_the_audit_page_filters_and_masks_what_staff_typed(app: Litestar, demo: Demo) -> None:
    # Given a reveal whose reason holds a phone number
    customer_id, _, _ = await customer_with_car(demo)
    admin = await signed_in(app, demo, "hq_admin")
    reason = "asked on 13800138000 by the owner"
    await admin.post(
        f"/console/customers/{customer_id}/reveal", {"fields": "name", "reason": reason}
    )
    # When HQ filters the log by the action, and by another one
    for_admin = await admin.get("/console/hq/audit?action=customer.reveal")
    other = await admin.get("/console/hq/audit?action=plugin.changed")
    bad = await admin.get("/console/hq/audit?since=yesterday")
    # Then the entry is listed with its reason, and only under its own action
    assert reason in for_admin.text and customer_id in for_admin.text
    assert customer_id not in other.text
    # When the tenant's PII policy stops showing phones to HQ admins
    async with demo.runtime.sessions() as session, session.begin():
        tenant = await session.get(Tenant, await _tenant_id(demo))
        assert tenant is not None
        tenant.settings = {**tenant.settings, "pii_policy": {"hq_admin": ["name"]}}
    masked = await admin.get("/console/hq/audit?action=customer.reveal")
    # Then the phone typed into the reason is masked on the page, as in the API
    assert "138****8000" in masked.text and "13800138000" not in masked.text
    # And a date it cannot read is named beside its field
    assert bad.status_code == 422 and field_error(bad.text, "since")


async def test_another_stores_order_and_another_tenants_customer_are_404_pages(
    app: Litestar, demo: Demo
) -> None:
    # Given an order at SH002 and a customer of the demo chain
    customer_id, _, vehicle_id = await customer_with_car(demo)
    headers = await demo.headers("hq_admin")
    order = await demo.client.post(
        "/api/v1/service-orders",
        headers=headers,
        json={
            "store_id": await demo.store_id("SH002"),
            "customer_id": customer_id,
            "vehicle_id": vehicle_id,
            "lines": [
                {
                    "kind": "labor",
                    "category": "maintenance",
                    "description": "保养",
                    "quantity": 1,
                    "unit_price": 10000,
                }
            ],
        },
    )
    order_id = order.json()["id"]
    manager = await signed_in(app, demo, "store_manager")  # of SH001
    shop = await signed_in(app, demo, "owner@demo-shop.example", tenant="demo-shop")
    # When SH001's manager opens the SH002 order and the shop's owner the chain's records
    pages = [
        await manager.get(f"/console/orders/{order_id}"),
        await shop.get(f"/console/customers/{customer_id}"),
        await shop.get(f"/console/orders/{order_id}"),
        await shop.get(f"/console/orders/new?vehicle_id={vehicle_id}"),
    ]
    completes = await manager.post(f"/console/orders/{order_id}/complete", {"mileage_km": "100"})
    # Then each is the same 404 page, as for a record that does not exist: a headline only
    for page in [*pages, completes]:
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert 'id="reasons"' not in page.text
    # And a car id that is no id at all is a 400 page naming the parameter, in Chinese
    garbled = await manager.get("/console/orders/new?vehicle_id=not-an-id")
    assert garbled.status_code == 400 and "<code>vehicle_id</code>" in garbled.text
    reason = re.search(r"<code>vehicle_id</code>([^<]*)</li>", garbled.text)
    assert reason and reason.group(1).strip() and not reason.group(1).strip().isascii()
    assert "not-an-id" not in reason.group(1)
    # And the shop's search finds nothing of the chain's
    phone_search = await shop.get("/console/search?q=张")
    assert phone_search.status_code == 200
    assert not re.search(r"/console/customers/[0-9a-f]{8}-", phone_search.text)


async def test_a_new_customer_shows_errors_beside_fields_and_saves_both_or_neither(
    app: Litestar, demo: Demo
) -> None:
    advisor = await signed_in(app, demo, "service_advisor")
    # When a customer is posted with a bad phone, then a good one with a bad VIN
    bad_phone = await advisor.post("/console/customers/new", {"name": "李四", "phone": "123"})
    bad_vin = await advisor.post(
        "/console/customers/new",
        {
            "name": "李四",
            "phone": "13912345678",
            "vehicle_vin": "NOTAVIN",
            "vehicle_plate": "沪A12345",
        },
    )
    # Then each error is beside its field and the typed values are kept
    assert bad_phone.status_code == 422 and field_error(bad_phone.text, "phone")
    assert bad_vin.status_code == 422 and field_error(bad_vin.text, "vehicle_vin")
    assert 'value="13912345678"' in bad_vin.text
    # And no customer was saved without the car
    async with demo.runtime.sessions() as session:
        with tenant_scope(await _tenant_id(demo)):
            count = await session.scalar(select(func.count()).select_from(Customer))
    assert count == 0
    # When it is posted right, Then the 360° page of the new customer opens
    good = await advisor.post(
        "/console/customers/new",
        {
            "name": "李四",
            "phone": "13912345678",
            "vehicle_vin": vin(serial()),
            "vehicle_plate": "沪A12345",
        },
    )
    assert good.status_code == 303
    page = await advisor.get(good.headers["location"])
    assert "李四" in page.text and "沪A12345" in page.text
    # And the same phone again is named beside the phone field, not an error page
    again = await advisor.post("/console/customers/new", {"name": "李五", "phone": "13912345678"})
    assert again.status_code == 409 and field_error(again.text, "phone")


async def test_an_order_is_opened_with_decimal_lines_completed_and_listed_today(
    app: Litestar, demo: Demo
) -> None:
    # Given a customer with a car and the SH001 advisor
    _, _, vehicle_id = await customer_with_car(demo)
    advisor = await signed_in(app, demo, "service_advisor")
    form = await advisor.get(f"/console/orders/new?vehicle_id={vehicle_id}")
    store_id = re.search(r'<option value="([^"]+)">', form.text).group(1)  # type: ignore[union-attr]
    # (each line's fields say what they are where a phone hides the column heads)
    assert 'name="unit_price"' in form.text and 'placeholder="单价（元）"' in form.text
    assert 'aria-label="数量"' in form.text and 'aria-label="项目"' in form.text
    # When an order is opened with a bad price, then with 1.5 h labour at ¥120.50 and a part
    lines = [
        ("kind", "labor"), ("category", "maintenance"), ("description", "工时"),
        ("quantity", "1.5"), ("unit_price", "abc"),
    ]  # fmt: skip
    refused = await advisor.post(
        "/console/orders/new", [("vehicle_id", vehicle_id), ("store_id", store_id), *lines]
    )
    lines[-1] = ("unit_price", "120.50")
    part = [("kind", "part"), ("category", "maintenance"), ("description", "机油"),
            ("quantity", "4"), ("unit_price", "280.00")]  # fmt: skip
    opened = await advisor.post(
        "/console/orders/new",
        [("vehicle_id", vehicle_id), ("store_id", store_id), *lines, *part],
    )
    # Then the bad price is named beside it, and the good order is priced by the service
    assert refused.status_code == 422 and field_error(refused.text, "unit_price")
    assert opened.status_code == 303
    page = await advisor.get(opened.headers["location"])
    assert "¥1,300.75" in page.text  # 1.5 x 120.50 + 4 x 280.00
    # When it is completed with a bad odometer, then a good one
    order_path = opened.headers["location"]
    bad = await advisor.post(f"{order_path}/complete", {"mileage_km": "lots"})
    done = await advisor.post(f"{order_path}/complete", {"mileage_km": "12000"})
    # Then the first is named beside the field, the second completes it
    assert bad.status_code == 422 and field_error(bad.text, "mileage_km")
    assert done.status_code == 303
    assert "已完成" in (await advisor.get(order_path)).text
    # And today's worklist lists it, in the tenant's time
    worklist = await advisor.get("/console/worklist")
    assert order_path in worklist.text and "¥1,300.75" in worklist.text


async def test_hq_settings_form_names_each_bad_field_then_saves(app: Litestar, demo: Demo) -> None:
    admin = await signed_in(app, demo, "hq_admin")
    await admin.get("/console/hq/plugins/webhook")
    # When HQ turns the webhook channel on, then saves bad settings, then good ones
    on = await admin.post("/console/hq/plugins/webhook/enabled", {"enabled": "1"})
    settings = {"url": "", "reaches": "sms", "backoff_ms": "500", "timeout_s": "10"}
    bad = await admin.post(
        "/console/hq/plugins/webhook/settings", {**settings, "attempts": "99", "backoff_ms": "x"}
    )
    good = await admin.post("/console/hq/plugins/webhook/settings", {**settings, "attempts": "5"})
    # Then it is on, each bad field has its own error, and the good ones are kept
    assert on.status_code == 303
    assert bad.status_code == 422
    assert field_error(bad.text, "backoff_ms") == "必须是整数"
    assert good.status_code == 303
    page = await admin.get(good.headers["location"])
    assert 'name="attempts" id="attempts" value="5"' in page.text
    # And a value the plugin's own validation refuses is named beside its field
    over = await admin.post("/console/hq/plugins/webhook/settings", {**settings, "attempts": "99"})
    assert over.status_code == 422 and "10" in (field_error(over.text, "attempts") or "")


async def test_english_is_one_switch_away(app: Litestar, demo: Demo) -> None:
    advisor = await signed_in(app, demo, "service_advisor")
    # Given the default language, When English is chosen
    chinese = await advisor.get("/console/worklist")
    assert 'action="/console/me/language"' in chinese.text
    switched = await advisor.post(
        "/console/me/language", {"language": "en", "next": "/console/worklist"}
    )
    english = await advisor.get("/console/worklist")
    # Then the same page reads in English
    assert "今日工单" in chinese.text
    assert switched.status_code == 303
    assert "Today&#39;s orders" in english.text and "今日工单" not in english.text
    # When the advisor signs in on another browser (no language cookie there)
    async with AsyncTestClient(app=app) as http:
        elsewhere = Browserless(http)
        form = {"tenant": "demo-chain", "email": "advisor.sh001@demo-chain.example",
                "password": PASSWORD, "next": "/console/worklist"}  # fmt: skip
        assert (await elsewhere.post("/console/login", form)).status_code == 303
        # Then their choice followed them: the console reads in English there too
        assert "Today&#39;s orders" in (await elsewhere.get("/console/worklist")).text


async def test_a_voucher_code_and_a_refund_go_through_the_order_services(
    app: Litestar, demo: Demo
) -> None:
    # Given an open order at SH001 and its advisor
    customer_id, _, vehicle_id = await customer_with_car(demo)
    headers = await demo.headers("hq_admin")
    line = {"kind": "labor", "category": "maintenance", "description": "保养"}
    body = {
        "store_id": await demo.store_id("SH001"),
        "customer_id": customer_id,
        "vehicle_id": vehicle_id,
        "lines": [{**line, "quantity": 1, "unit_price": 20000}],
    }
    order = await demo.client.post("/api/v1/service-orders", headers=headers, json=body)
    path = f"/console/orders/{order.json()['id']}"
    advisor = await signed_in(app, demo, "service_advisor")
    # When a code nobody knows is applied
    unknown = await advisor.post(f"{path}/voucher", {"code": "NOSUCHCODE"})
    # Then it is named beside the code field and the total is unchanged
    assert unknown.status_code == 422 and field_error(unknown.text, "code")
    assert "¥200.00" in unknown.text
    # When the order is completed, then refunded without a reason, then with one
    await advisor.post(f"{path}/complete", {"mileage_km": "15000"})
    bare = await advisor.post(f"{path}/refund", {"reason": ""})
    refunded = await advisor.post(f"{path}/refund", {"reason": "客户取消保养"})
    # Then the bare one names the reason and the second refunds it
    assert bare.status_code == 422 and field_error(bare.text, "reason")
    assert refunded.status_code == 303
    page = await advisor.get(path)
    assert "已退款" in page.text and "客户取消保养" in page.text
    assert 'id="refund-form"' not in page.text and 'id="voucher-form"' not in page.text
