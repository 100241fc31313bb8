"""The console in a real browser: Playwright driving Debian's Chromium against the real app.

Nine journeys (the last on a phone's screen), one served app and one browser for the
module (a fresh browser context, so fresh cookies, per test). Everything finer (each
error, header, format) is checked without a browser in test_console_pages.py. Each
journey saves a screenshot of its main page under artifacts/console/ (git-ignored). With
``PITSTOP_TEST_REQUIRE_SERVICES=1`` (CI) a missing Chromium or Playwright fails the module
instead of skipping it.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from dramatiq.common import join_queue
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from pitstop.testing.records import phone, plate, serial, vin
from pitstop.testing.runtime import mint_access_token
from pitstop.worker.dispatch import QUEUE
from tests.conftest import make_settings, running_worker
from tests.console.served import ARTEFACTS, CHROMIUM, CHROMIUM_ARGS, served
from tests.support.demo import CHAIN_LOGINS, PASSWORD, provision_demo_tenants
from tests.support.services import require_or_skip

T = TypeVar("T")


def assert_saved(page: Any) -> None:
    """The "saved" notice is on the page a post redirected to: waited for, since a click
    returns once the post's navigation starts, before the redirected page is drawn."""
    from playwright.sync_api import expect

    expect(page.locator("#saved")).to_be_visible()


def in_thread(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on a thread of its own: Playwright's sync API keeps an
    event loop running on the test's thread, where ``asyncio.run`` is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


LABOUR = {"kind": "labor", "category": "maintenance", "description": "保养", "quantity": 1}


class Site:
    """The served demo app: its base URL, an API caller for setting up, the worker's queue."""

    def __init__(self, base: str, runtime: Runtime) -> None:
        self.base, self.runtime = base, runtime
        self.api = httpx.Client(base_url=base, timeout=30)
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, email: str, tenant: str = "demo-chain") -> str:
        if (tenant, email) not in self._tokens:
            self._tokens[(tenant, email)] = in_thread(self._mint(email, tenant))
        return self._tokens[(tenant, email)]

    async def _mint(self, email: str, slug: str) -> str:
        async with self.runtime.sessions() as session:
            tenant_id = (await session.scalars(select(Tenant.id).where(Tenant.slug == slug))).one()
        return await mint_access_token(self.runtime, tenant_id, email)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(CHAIN_LOGINS['hq_admin'])}"}
        response = self.api.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def customer_with_car(self) -> tuple[str, str, str]:
        """(customer id, phone, vehicle id) of a new chain customer."""
        n = serial()
        customer = self.call(
            "POST", "/api/v1/customers", json={"name": f"张{n}", "phone": phone(n)}
        )
        car = {"customer_id": customer["id"], "vin": vin(n), "plate": plate(n)}
        vehicle = self.call("POST", "/api/v1/vehicles", json=car)
        return customer["id"], phone(n), vehicle["id"]

    def store_id(self, code: str) -> str:
        stores = self.call("GET", "/api/v1/stores")["items"]
        return str(next(s["id"] for s in stores if s["code"] == code))

    def drain(self) -> None:
        """Wait until the worker has run everything due now: the outbox relay, then every
        plugin's delivery (each enqueued before the message that sent it is done). Messages
        deferred to later (a retention reminder weeks ahead) stay queued, so this joins the
        immediate queue only, not the broker's delay queue as ``broker.join`` would."""
        join_queue(self.runtime.broker.queues[QUEUE], timeout=60)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_or_skip(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo chain and shop, served with a worker, on embedded SQLite."""
    home = tmp_path_factory.mktemp("console-browser")
    shutil.copyfile(sqlite_template, home / "pitstop.db")
    settings = make_settings(home, f"sqlite+aiosqlite:///{home / 'pitstop.db'}")
    runtime = Runtime.build(settings, poolclass=NullPool)
    in_thread(provision_demo_tenants(runtime))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with running_worker(runtime), served(create_app(runtime=runtime), settings) as base:
        yield Site(base, runtime)
    in_thread(runtime.close())


@pytest.fixture
def page(chromium: Any, site: Site) -> Iterator[Any]:
    context = chromium.new_context(base_url=site.base, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Any, email: str, tenant: str = "demo-chain") -> None:
    page.goto("/console/login")
    page.fill("#tenant", tenant)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/console/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/console/(worklist|search)"))


def shot(page: Any, name: str, *, whole: bool = True) -> None:
    """The page as the reader sees it; ``whole=False`` keeps to the screen (a long page's
    top, small enough for docs/console.md, which ``make screenshots`` copies it into)."""
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=whole)


def test_an_advisor_finds_by_last_four_opens_and_completes_an_order_and_sees_points(
    page: Any, site: Site
) -> None:
    # Given a chain customer with a car, and the SH001 advisor signed in
    customer_id, mobile, _ = site.customer_with_car()
    sign_in(page, CHAIN_LOGINS["service_advisor"])
    # When they search by the phone's last four digits and open the customer
    page.fill("#q", mobile[-4:])
    page.press("#q", "Enter")
    shot(page, "search")
    page.click(f"a[href='/console/customers/{customer_id}']")
    # And open an order with one labour line of ¥388 and complete it at 12,000 km
    page.click("text=开工单")
    line = page.locator("#lines tr.line").first
    line.locator("input[name=description]").fill("小保养")
    line.locator("input[name=quantity]").fill("1")
    line.locator("input[name=unit_price]").fill("388")
    shot(page, "order-new")
    page.click("#new-order button[type=submit].primary")
    page.fill("#mileage_km", "12000")
    page.click("#complete-form button[type=submit]")
    # Then the order is completed at ¥388.00
    assert page.locator("#order-status").inner_text() == "已完成"
    assert page.locator("#order-total").inner_text() == "¥388.00"
    shot(page, "order")
    # And once the worker has run, the customer's page shows the points earned
    site.drain()
    page.click(f"a[href='/console/customers/{customer_id}']")
    assert page.locator("#panel-membership #points-balance").inner_text() == "388"
    shot(page, "customer")


def test_a_technician_sees_masked_people_and_no_reveal_button(page: Any, site: Site) -> None:
    # Given a customer, and the SH001 technician signed in
    customer_id, mobile, _ = site.customer_with_car()
    sign_in(page, CHAIN_LOGINS["technician"])
    # When they search by the last four digits and open the customer
    page.goto(f"/console/search?q={mobile[-4:]}")
    listed = page.locator("#results").inner_text()
    page.click(f"a[href='/console/customers/{customer_id}']")
    # Then phone and name are masked in the list and on the page, and there is no reveal
    masked = mobile[:3] + "****" + mobile[-4:]
    assert masked in listed and mobile not in listed
    assert page.locator("#customer-phone").inner_text().endswith(masked)
    assert page.locator("#customer-name").inner_text().endswith("*")
    assert page.locator("#reveal-form").count() == 0
    assert mobile not in page.content()
    shot(page, "customer-technician")


def test_hq_enables_a_plugin_fixes_a_bad_setting_and_saves(page: Any, site: Site) -> None:
    # Given the chain's HQ admin on the webhook channel's page (off)
    sign_in(page, CHAIN_LOGINS["hq_admin"])
    page.goto("/console/hq/plugins")
    page.click("a[href='/console/hq/plugins/webhook']")
    # When they turn it on and save 99 attempts (at most 10 are allowed)
    page.click("#switch")
    assert page.locator("#plugin-state").inner_text() == "开启"
    page.fill("#attempts", "99")
    page.click("#settings-form button[type=submit]")
    # Then the error is beside that field and nothing is saved
    assert "10" in page.locator("#attempts-error").inner_text()
    shot(page, "plugin-settings-error")
    # When they correct it to 5, Then it is saved and shown
    page.fill("#attempts", "5")
    page.click("#settings-form button[type=submit]")
    assert_saved(page)
    assert page.locator("#attempts").input_value() == "5"
    shot(page, "plugin-settings")
    # And the KPI board's server-drawn chart loads under the console's CSP
    page.click("text=经营看板")
    chart = page.locator("#chart-revenue")
    assert chart.evaluate("img => img.complete && img.naturalWidth") > 0
    shot(page, "kpi-board", whole=False)


def test_a_store_manager_gets_a_404_page_for_another_stores_order(page: Any, site: Site) -> None:
    # Given an order at SH002, and SH001's manager signed in
    customer_id, _, vehicle_id = site.customer_with_car()
    order = site.call(
        "POST",
        "/api/v1/service-orders",
        json={
            "store_id": site.store_id("SH002"),
            "customer_id": customer_id,
            "vehicle_id": vehicle_id,
            "lines": [{**LABOUR, "unit_price": 10_000}],
        },
    )
    sign_in(page, CHAIN_LOGINS["store_manager"])
    # When they type the order's URL
    response = page.goto(f"/console/orders/{order['id']}")
    # Then it is the 404 page, as for an order that does not exist
    assert response.status == 404
    assert page.locator("h1.status").inner_text() == "404"
    unknown = page.goto(f"/console/orders/{uuid.uuid4()}")
    assert unknown.status == 404
    shot(page, "not-found")


def test_another_tenants_records_are_404_by_url(page: Any, site: Site) -> None:
    # Given a chain customer with a car, and the demo shop's owner signed in
    customer_id, mobile, vehicle_id = site.customer_with_car()
    sign_in(page, "owner@demo-shop.example", tenant="demo-shop")
    # When they type the chain's customer and order-form URLs, and search the phone
    customer = page.goto(f"/console/customers/{customer_id}")
    order_form = page.goto(f"/console/orders/new?vehicle_id={vehicle_id}")
    page.goto(f"/console/search?q={mobile}")
    # Then both are 404 pages and the search finds nobody
    assert customer.status == order_form.status == 404
    assert page.locator("#results").count() == 0


def test_a_form_post_without_the_csrf_token_is_refused(page: Any, site: Site) -> None:
    # Given the HQ admin on the webhook page
    sign_in(page, CHAIN_LOGINS["hq_admin"])
    page.goto("/console/hq/plugins/webhook")
    state = page.locator("#plugin-state").inner_text()
    # When the on/off form is posted with its CSRF token removed
    page.locator("form[action$='/enabled'] input[name=_csrf_token]").evaluate("e => e.remove()")
    with page.expect_navigation() as navigation:
        page.click("#switch")
    # Then it is refused with a 403 page and the plugin is as it was
    assert navigation.value.status == 403
    assert page.locator("h1.status").inner_text() == "403"
    page.goto("/console/hq/plugins/webhook")
    assert page.locator("#plugin-state").inner_text() == state


def test_an_advisor_redeems_a_real_voucher_on_an_order(page: Any, site: Site) -> None:
    # Given a customer holding a ¥50 voucher issued by HQ through the membership API
    customer_id, _, _ = site.customer_with_car()
    template = site.call(
        "POST",
        "/api/v1/membership/voucher-templates",
        json={"code": f"DESK50-{serial()}", "title": "到店立减50", "kind": "amount",
              "amount": 5_000, "valid_days": 30},
    )  # fmt: skip
    voucher = site.call(
        "POST",
        "/api/v1/membership/vouchers",
        json={"template_id": template["id"], "customer_id": customer_id, "reason": "到店礼"},
    )
    # And the SH001 advisor on the customer's page, which lists the voucher (not its code)
    sign_in(page, CHAIN_LOGINS["service_advisor"])
    page.goto(f"/console/customers/{customer_id}")
    vouchers = page.locator("#panel-membership #vouchers").inner_text()
    assert "到店立减50" in vouchers and voucher["code"] not in page.content()
    # When they open a ¥388 order and type the code the customer shows
    page.click("text=开工单")
    line = page.locator("#lines tr.line").first
    line.locator("input[name=description]").fill("小保养")
    line.locator("input[name=quantity]").fill("1")
    line.locator("input[name=unit_price]").fill("388")
    page.click("#new-order button[type=submit].primary")
    page.fill("#code", voucher["code"])
    page.click("#voucher-form button[type=submit]")
    # Then a discount line takes ¥50 off, and the order completes at ¥338.00
    assert page.locator("#order-total").inner_text() == "¥338.00"
    shot(page, "order-voucher")
    page.fill("#mileage_km", "15000")
    page.click("#complete-form button[type=submit]")
    assert page.locator("#order-status").inner_text() == "已完成"
    assert page.locator("#order-total").inner_text() == "¥338.00"
    # And the voucher is spent: the API shows it redeemed on that order
    spent = site.call("GET", f"/api/v1/membership/vouchers/{voucher['id']}")
    assert spent["status"] == "redeemed" and spent["order_id"] is not None


def test_hq_hires_a_technician_and_changes_their_role_and_state(page: Any, site: Site) -> None:
    # Given HQ on the staff page
    sh002 = site.store_id("SH002")
    email = f"tech.{uuid.uuid4().hex[:8]}@demo-chain.example"
    sign_in(page, CHAIN_LOGINS["hq_admin"])
    page.click("text=员工与角色")
    # When they hire a technician for every store (a technician works at named stores)
    page.fill("#email", email)
    page.fill("#name", "赵师傅")
    page.select_option("#role", "technician")
    page.click("#hire")
    # Then the stores are asked for beside them, in Chinese
    assert page.locator("#stores-error").inner_text() == "门店级角色必须指定至少一个门店"
    shot(page, "staff-hire-error")
    # When they tick SH002 instead of every store, and hire
    page.uncheck("#all_stores")
    page.check(f"#stores input[value='{sh002}']")
    page.click("#hire")
    # Then the person's page says so; and moving them to advisor and inactive is saved
    assert_saved(page)
    page.select_option("#role", "service_advisor")
    page.select_option("#active", "0")
    page.click("#save")
    assert_saved(page)
    shot(page, "staff-person")
    # And the API shows the change
    staff = site.call("GET", "/api/v1/staff?limit=200")["items"]
    person = next(s for s in staff if s["id"] in page.url)
    assert (person["role"], person["stores"], person["active"]) == (
        "service_advisor",
        [sh002],
        False,
    )


PHONE = {"width": 390, "height": 844}
"""A phone's screen in CSS pixels (an iPhone 12 to 15)."""
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                 && !e.closest('.board, .list, .lines, table'))
    .map(e => e.tagName + (e.id ? '#' + e.id : ''))"""
"""Elements reaching past the screen's right edge, outside the parts made to scroll sideways
(a board's columns, a wide table, which the page lets the reader swipe)."""


def _width(page: Any) -> tuple[int, list[str]]:
    """How wide the page is (the screen's width when it fits), and what sticks out."""
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    return max(scroll, PHONE["width"]), page.evaluate(WIDER_THAN_THE_SCREEN)


def test_an_advisor_works_the_front_desk_on_a_phone(chromium: Any, site: Site) -> None:
    # Given an advisor on a phone's screen, and a customer with a car
    context = chromium.new_context(base_url=site.base, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        customer_id, mobile, vehicle_id = site.customer_with_car()
        sign_in(page, CHAIN_LOGINS["service_advisor"])
        # When they search by the last four digits, open the customer and a new order
        page.fill("#q", mobile[-4:])
        page.press("#q", "Enter")
        page.click(f"a[href='/console/customers/{customer_id}']")
        seen = {"customer": _width(page)}
        page.goto(f"/console/orders/new?vehicle_id={vehicle_id}")
        seen["new order"] = _width(page)
        # Then neither page is wider than the screen, and the search box is at hand
        assert seen == {"customer": (PHONE["width"], []), "new order": (PHONE["width"], [])}
        assert page.locator("#q").is_visible()
        shot(page, "phone-new-order")
    finally:
        context.close()
