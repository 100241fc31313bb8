"""HQ's pages at the console, without a browser: stores' hours and holidays changed through
the API's service (its canonical form, its audit entry), each bad field named beside it
with nothing saved, and only for those who may manage stores."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar import Litestar

from pitstop.console import audit as console_audit
from pitstop.console import people as console_keys
from pitstop.console import staff as console_staff
from tests.console.support import customer_with_car, field_error, signed_in
from tests.support.demo import Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _store(demo: Demo, code: str) -> dict[str, Any]:
    headers = await demo.headers("hq_admin")
    stores = (await demo.client.get("/api/v1/stores", headers=headers)).json()["items"]
    return dict(next(s for s in stores if s["code"] == code))


def _hours(**days: str) -> dict[str, str]:
    week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "08:30-18:00")
    return {f"hours.{d}": v for d, v in (week | {"sun": "closed"} | days).items()}


async def test_hq_changes_a_stores_hours_and_holidays_and_bad_ones_are_named(
    app: Litestar, demo: Demo
) -> None:
    # Given SH002 on the stores page
    store = await _store(demo, "SH002")
    hq = await signed_in(app, demo, "hq_admin")
    listing = await hq.get("/console/hq/stores/")
    assert listing.status_code == 200 and f"/console/hq/stores/{store['id']}" in listing.text
    # When HQ saves new hours (Saturday morning only) and two holidays
    form = _hours(sat="09:00-12:00") | {"holidays": "2027-02-16..2027-02-18\n2027-05-01"}
    saved = await hq.post(f"/console/hq/stores/{store['id']}", form)
    # Then the API's service stored them in its canonical form, and audited the change
    assert saved.status_code == 303, saved.text
    after = await _store(demo, "SH002")
    assert after["hours"]["sat"] == "09:00-12:00" and after["hours"]["sun"] == "closed"
    assert "2027-05-01" in after["holidays"] and len(after["holidays"]) == 2
    audit = await demo.client.get(
        "/api/v1/audit?action=store.changed", headers=await demo.headers("hq_admin")
    )
    assert audit.json()["items"][0]["detail"]["fields"] == ["holidays", "hours"]
    # And the page shows them again
    page = await hq.get(saved.headers["location"])
    assert 'id="saved"' in page.text and 'value="09:00-12:00"' in page.text
    # When Monday's hours cannot be read and a holiday is not a date
    before = await _store(demo, "SH002")
    form = _hours(mon="9 till 5") | {"holidays": "2027-05-01\nsoon"}
    refused = await hq.post(f"/console/hq/stores/{store['id']}", form)
    # Then it is a 422 page naming a field, keeping what was typed, and nothing changed
    assert refused.status_code == 422
    assert field_error(refused.text, "hours.mon") or "holidays-error" in refused.text
    assert 'value="9 till 5"' in refused.text
    assert await _store(demo, "SH002") == before


async def test_only_hq_changes_stores(app: Litestar, demo: Demo) -> None:
    store = await _store(demo, "SH001")
    # When SH001's manager posts new hours for their own store, and opens the page
    manager = await signed_in(app, demo, "store_manager")
    refused = await manager.post(f"/console/hq/stores/{store['id']}", _hours())
    page = await manager.get(f"/console/hq/stores/{store['id']}")
    # Then the post is refused and the form is read-only for them
    assert refused.status_code == 403
    assert page.status_code == 200 and "<fieldset disabled" in page.text
    assert await _store(demo, "SH001") == store
    # And a store that is not the tenant's is the 404 page, to read or to change
    hq = await signed_in(app, demo, "hq_admin")
    assert (await hq.get(f"/console/hq/stores/{uuid.uuid4()}")).status_code == 404
    assert (await hq.post(f"/console/hq/stores/{uuid.uuid4()}", _hours())).status_code == 404


async def test_hq_sees_staff_with_their_role_and_store_scope(app: Litestar, demo: Demo) -> None:
    # When HQ opens the staff page
    hq = await signed_in(app, demo, "hq_admin")
    page = await hq.get("/console/hq/staff/")
    # Then SH001's manager is listed with their role and store, and the roles with theirs
    assert page.status_code == 200, page.text
    row = re.search(r"<tr id=\"staff-[^\"]+\">((?:(?!</tr>).)*manager\.sh001(?:(?!</tr>).)*)</tr>",
                    page.text, re.S)  # fmt: skip
    assert row and "store_manager" in row.group(1) and "SH001" in row.group(1)
    assert 'id="role-technician"' in page.text and "指定门店" in page.text
    # And a store manager may not open it
    manager = await signed_in(app, demo, "store_manager")
    assert (await manager.get("/console/hq/staff/")).status_code == 403


async def test_an_api_key_is_shown_once_works_and_is_revoked_in_one_click(
    app: Litestar, demo: Demo
) -> None:
    hq = await signed_in(app, demo, "hq_admin")
    # When HQ creates a key that may read customers
    made = await hq.post(
        "/console/hq/api-keys/", [("name", "对账系统"), ("permissions", "customers:read")]
    )
    # Then its secret is on the page once, it works on the API, and the creation is audited
    assert made.status_code == 200, made.text
    secret = re.search(r'<code id="secret">(psk_[^<]+)</code>', made.text)
    assert secret
    key = {"Authorization": f"Bearer {secret.group(1)}"}
    assert (await demo.client.get("/api/v1/customers", headers=key)).status_code == 200
    listing = await hq.get("/console/hq/api-keys/")
    assert secret.group(1) not in listing.text and "对账系统" in listing.text
    audit = await demo.client.get(
        "/api/v1/audit?action=api_key.created", headers=await demo.headers("hq_admin")
    )
    assert audit.json()["items"][0]["detail"]["permissions"] == ["customers:read"]
    # When they revoke it with one click
    key_id = re.search(r'data-revoke="([^"]+)"', listing.text)
    assert key_id
    revoked = await hq.post(f"/console/hq/api-keys/{key_id.group(1)}/revoke", {})
    # Then it stops working at once
    assert revoked.status_code == 303
    assert (await demo.client.get("/api/v1/customers", headers=key)).status_code == 401
    # And a key without a name, or with a permission nobody has, is refused, named
    blank = await hq.post(
        "/console/hq/api-keys/", [("name", " "), ("permissions", "customers:read")]
    )
    bogus = await hq.post("/console/hq/api-keys/", [("name", "x"), ("permissions", "root:all")])
    assert blank.status_code == bogus.status_code == 422
    assert 'id="name-error"' in blank.text and 'id="permissions-error"' in bogus.text
    # And another tenant's key, or none, is the 404 page
    assert (await hq.post(f"/console/hq/api-keys/{uuid.uuid4()}/revoke", {})).status_code == 404


async def test_the_audit_page_pages_newest_first_and_filters_by_actor(
    app: Litestar, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three keys made by HQ and a reveal by SH001's manager, and pages of two entries
    admin = await demo.headers("hq_admin")
    keys = []
    for n in range(3):
        body = {"name": f"对账{n}", "permissions": ["customers:read"]}
        made = await demo.client.post("/api/v1/api-keys", json=body, headers=admin)
        keys.append(made.json()["id"])
    customer_id, _, _ = await customer_with_car(demo)
    reveal = {"fields": ["phone"], "reason": "回访核对"}
    await demo.client.post(f"/api/v1/customers/{customer_id}/reveal", json=reveal,
                           headers=await demo.headers("store_manager"))  # fmt: skip
    staff = (await demo.client.get("/api/v1/staff", headers=admin)).json()["items"]
    hq_id = next(s["id"] for s in staff if s["role"] == "hq_admin")
    manager_id = next(s["id"] for s in staff if s["role"] == "store_manager")
    monkeypatch.setattr(console_audit, "PAGE_SIZE", 2)
    hq = await signed_in(app, demo, "hq_admin")
    # When HQ reads HQ's key creations page by page
    first = await hq.get(f"/console/hq/audit?action=api_key.created&actor={hq_id}")
    older = re.search(r'<a id="older" href="([^"]+)"', first.text)
    assert first.status_code == 200 and older
    second = await hq.get(older.group(1).replace("&amp;", "&"))
    # Then the newest two come first and the third next, with no further page
    tables = [page.text.split('id="audit"')[1].split("</table>")[0] for page in (first, second)]
    assert [[k for k in keys if k in table] for table in tables] == [keys[1:], keys[:1]]
    assert 'id="older"' not in second.text
    # When HQ filters by the manager
    by_manager = await hq.get(f"/console/hq/audit?actor={manager_id}")
    # Then only the manager's reveal is listed
    assert "customer.reveal" in by_manager.text and "api_key.created" not in by_manager.text
    # And an actor or a page that is not an id is named, in Chinese
    bad = await hq.get("/console/hq/audit?actor=someone")
    assert bad.status_code == 422
    assert '<small class="error" id="actor-error">不是有效的编号</small>' in bad.text
    assert (await hq.get("/console/hq/audit?before=x")).status_code == 422


async def test_hq_opens_a_store_and_a_taken_code_or_bad_hours_are_named(
    app: Litestar, demo: Demo
) -> None:
    hq = await signed_in(app, demo, "hq_admin")
    assert 'id="new-store"' in (await hq.get("/console/hq/stores/")).text
    # When HQ opens SH009 with weekday hours and a holiday
    form = _hours() | {"code": "SH009", "name": "浦东三店", "city": "上海", "region": "urban",
                       "holidays": "2027-10-01"}  # fmt: skip
    opened = await hq.post("/console/hq/stores/", form)
    # Then the API lists it as the service stored it, and the opening is audited
    assert opened.status_code == 303, opened.text
    store = await _store(demo, "SH009")
    assert store["hours"]["mon"] == "08:30-18:00" and store["holidays"] == ["2027-10-01"]
    audit = await demo.client.get(
        "/api/v1/audit?action=store.created", headers=await demo.headers("hq_admin")
    )
    assert audit.json()["items"][-1]["resource_id"] == store["id"]
    # When a store is opened with a taken code, and one with no name and unreadable hours
    taken = await hq.post("/console/hq/stores/", form | {"name": "重复"})
    bad = await hq.post("/console/hq/stores/", form | {"code": "SH010", "name": "",
                                                         "hours.mon": "9 till 5"})  # fmt: skip
    # Then each is named beside its field in Chinese, with what was typed kept
    assert taken.status_code == 409 and field_error(taken.text, "code") == "已有相同编码的门店"
    assert bad.status_code == 422 and field_error(bad.text, "name") in ("必填", "不能为空")
    assert 'value="9 till 5"' in bad.text
    # And a store manager may not open one, nor may a forged post
    manager = await signed_in(app, demo, "store_manager")
    assert (await manager.post("/console/hq/stores/", form | {"code": "SH011"})).status_code == 403
    forged = await hq.post("/console/hq/stores/", form | {"code": "SH012"}, csrf=False)
    assert forged.status_code == 403
    codes = [s["code"] for s in (await demo.client.get(
        "/api/v1/stores", headers=await demo.headers())).json()["items"]]  # fmt: skip
    assert "SH010" not in codes and "SH011" not in codes and "SH012" not in codes


def _ids(html: str, table: str, prefix: str) -> list[str]:
    body = html.split(f'id="{table}"')[1].split("</table>")[0]
    return re.findall(rf'<tr id="{prefix}-([0-9a-f-]{{36}})"', body)


async def _walk(hq: Any, first: str, link: str, table: str, prefix: str) -> list[list[str]]:
    """Every page's ids, following the page's "more" link to the end."""
    pages, url = [], first
    while url:
        page = await hq.get(url)
        assert page.status_code == 200, page.text
        pages.append(_ids(page.text, table, prefix))
        found = re.search(rf'<a id="{link}" href="([^"]+)"', page.text)
        url = found.group(1) if found else ""
    return pages


async def test_the_staff_and_key_lists_page_by_keyset(
    app: Litestar, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five keys and every staff member of the tenant, and pages of two
    admin = await demo.headers("hq_admin")
    keys = []
    for n in range(5):
        body = {"name": f"对账{n}", "permissions": ["customers:read"]}
        keys.append((await demo.client.post("/api/v1/api-keys", json=body, headers=admin)).json())
    staff = (await demo.client.get("/api/v1/staff?limit=200", headers=admin)).json()["items"]
    monkeypatch.setattr(console_keys, "PAGE_SIZE", 2)
    monkeypatch.setattr(console_staff, "PAGE_SIZE", 2)
    hq = await signed_in(app, demo, "hq_admin")
    # When HQ walks the key list page by page
    key_pages = await _walk(hq, "/console/hq/api-keys/", "older", "keys", "key")
    # Then the keys come newest first, two a page, each once, the last page without a link
    made = [k["id"] for k in reversed(keys)]
    assert [i for p in key_pages for i in p] == made and [len(p) for p in key_pages] == [2, 2, 1]
    # When HQ walks the staff list
    staff_pages = await _walk(hq, "/console/hq/staff/", "later", "staff", "staff")
    # Then everyone is listed once, by role, no page longer than two
    listed = [i for page in staff_pages for i in page]
    assert sorted(listed) == sorted(s["id"] for s in staff) and len(set(listed)) == len(listed)
    by_id = {s["id"]: s["role"] for s in staff}
    assert [by_id[i] for i in listed] == sorted(by_id[i] for i in listed)
    assert all(0 < len(p) <= 2 for p in staff_pages) and len(staff_pages) > 1
    # Given an area manager at SH001 (a custom store-scoped role that manages staff)
    sh001 = await demo.store_id("SH001")
    role = {"name": "area_manager", "store_scoped": True, "permissions": ["staff:manage"]}
    assert (await demo.client.post("/api/v1/roles", json=role, headers=admin)).status_code == 201
    hire = {"email": "area@demo-chain.example", "name": "区", "role": "area_manager",
            "stores": [sh001]}  # fmt: skip
    assert (await demo.client.post("/api/v1/staff", json=hire, headers=admin)).status_code == 201
    area = await signed_in(app, demo, "area@demo-chain.example")
    # When they walk the staff list, people of other stores lying between theirs
    pages = await _walk(area, "/console/hq/staff/", "later", "staff", "staff")
    theirs = [i for page in pages for i in page]
    # Then the pages hold exactly those who work at SH001 only, each once
    everyone = (await demo.client.get("/api/v1/staff?limit=200", headers=admin)).json()["items"]
    assert sorted(theirs) == sorted(s["id"] for s in everyone if s["stores"] == [sh001])
    # And a cursor that is not an id is refused, one from another tenant shows nobody
    assert (await hq.get("/console/hq/staff/?after=x")).status_code == 400
    assert (await hq.get("/console/hq/api-keys/?before=x")).status_code == 400
    shop = await signed_in(app, demo, "owner@demo-shop.example", tenant="demo-shop")
    nobody = await shop.get(f"/console/hq/staff/?after={staff[0]['id']}")
    assert nobody.status_code == 200 and _ids(nobody.text, "staff", "staff") == []
    theirs = await shop.get(f"/console/hq/api-keys/?before={keys[-1]['id']}")
    assert not set(_ids(theirs.text, "keys", "key")) & set(made)
