"""Staff and roles edited at the console, without a browser: hiring, a person's role, stores
and state, invites and custom roles go through the API's own services (its checks, its
audit entries, its store scope), each bad field named beside it in Chinese, and nobody
reaches a person or a role they may not manage."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar import Litestar

from tests.console.support import Browserless, field_error, signed_in
from tests.support.demo import Demo

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _audit(demo: Demo, action: str) -> list[dict[str, Any]]:
    headers = await demo.headers("hq_admin")
    response = await demo.client.get(f"/api/v1/audit?action={action}", headers=headers)
    return list(response.json()["items"])


async def _staff(demo: Demo, staff_id: str) -> dict[str, Any]:
    headers = await demo.headers("hq_admin")
    items = (await demo.client.get("/api/v1/staff?limit=200", headers=headers)).json()["items"]
    return dict(next(s for s in items if s["id"] == staff_id))


async def _hired(hq: Browserless, email: str, role: str, *stores: str) -> str:
    form = [("email", email), ("name", "王师傅"), ("role", role)]
    response = await hq.post("/console/hq/staff/", form + [("stores", s) for s in stores])
    assert response.status_code == 303, response.text
    found = re.search(r"/console/hq/staff/([0-9a-f-]{36})", response.headers["location"])
    assert found
    return found.group(1)


async def test_hq_hires_changes_deactivates_and_invites_a_person(app: Litestar, demo: Demo) -> None:
    sh001, sh002 = await demo.store_id("SH001"), await demo.store_id("SH002")
    hq = await signed_in(app, demo, "hq_admin")
    # When HQ hires a technician at SH002 on the staff page
    staff_id = await _hired(hq, "new.tech@demo-chain.example", "technician", sh002)
    # Then the API knows them with that role and store, and the hire is audited as there
    person = await _staff(demo, staff_id)
    assert person["role"] == "technician" and person["stores"] == [sh002]
    hired = (await _audit(demo, "staff.changed"))[-1]
    assert hired["resource_id"] == staff_id and hired["detail"]["change"] == "hired"
    # When a hire has a bad e-mail, no name, and a store-scoped role without a store
    bad = await hq.post(
        "/console/hq/staff/",
        [("email", "not-mail"), ("name", ""), ("role", "technician")],
    )
    no_store = await hq.post(
        "/console/hq/staff/",
        [("email", "x@demo-chain.example"), ("name", "李"), ("role", "technician")],
    )
    again = await hq.post(
        "/console/hq/staff/",
        [("email", "new.tech@demo-chain.example"), ("name", "王"), ("role", "hq_analyst"),
         ("all_stores", "1")],
    )  # fmt: skip
    # Then each is refused with the field named in Chinese, and what was typed kept
    assert bad.status_code == no_store.status_code == 422
    assert field_error(bad.text, "email") == "格式不正确" or field_error(bad.text, "name") == "必填"
    assert 'value="not-mail"' in bad.text
    assert "门店级角色必须指定至少一个门店" in no_store.text
    assert again.status_code == 409 and "此人已是本租户员工" in again.text
    # When HQ moves them to SH001 as a service advisor on their page
    page = await hq.get(f"/console/hq/staff/{staff_id}")
    assert page.status_code == 200 and 'id="person-form"' in page.text
    form = [("role", "service_advisor"), ("stores", sh001), ("active", "1")]
    moved = await hq.post(f"/console/hq/staff/{staff_id}", form)
    # Then the API shows the change, audited with what changed
    assert moved.status_code == 303, moved.text
    person = await _staff(demo, staff_id)
    assert person["role"] == "service_advisor" and person["stores"] == [sh001]
    updated = (await _audit(demo, "staff.changed"))[-1]
    assert updated["detail"]["role"] == ["technician", "service_advisor"]
    # When HQ invites the person
    invited = await hq.post(f"/console/hq/staff/{staff_id}/invite", {})
    # Then the one-time code is on the page (no staff channel in the demo), and audited
    assert invited.status_code == 200 and 'id="invite-token"' in invited.text
    assert (await _audit(demo, "staff.changed"))[-1]["detail"]["change"] == "invited"
    # When HQ deactivates them, and then tries to deactivate themself
    gone = await hq.post(f"/console/hq/staff/{staff_id}", [*form[:2], ("active", "0")])
    listing = await demo.client.get("/api/v1/staff", headers=await demo.headers("hq_admin"))
    my_id = next(s["id"] for s in listing.json()["items"] if s["role"] == "hq_admin")
    self_off = await hq.post(f"/console/hq/staff/{my_id}", [("role", "hq_admin"),
                             ("all_stores", "1"), ("active", "0")])  # fmt: skip
    # Then the person no longer works here, and HQ is still active, told why in Chinese
    assert gone.status_code == 303 and (await _staff(demo, staff_id))["active"] is False
    assert self_off.status_code == 422 and "不能停用您自己" in self_off.text
    # And an inactive person gets no invite, told why on the page
    assert (await hq.post(f"/console/hq/staff/{staff_id}/invite", {})).status_code == 409


async def test_hq_defines_and_changes_a_custom_role(app: Litestar, demo: Demo) -> None:
    hq = await signed_in(app, demo, "hq_admin")
    # When HQ defines a store-scoped role that reads customers and orders
    form = [("name", "night_desk"), ("title", "夜班前台"), ("store_scoped", "1"),
            ("permissions", "customers:read"), ("permissions", "service_orders:read")]  # fmt: skip
    made = await hq.post("/console/hq/roles/", form)
    # Then the API lists it as defined, and the creation is audited with its permissions
    assert made.status_code == 303, made.text
    roles = (await demo.client.get("/api/v1/roles", headers=await demo.headers())).json()
    role = next(r for r in roles["items"] if r["name"] == "night_desk")
    assert role["store_scoped"] and role["permissions"] == ["customers:read",
                                                             "service_orders:read"]  # fmt: skip
    assert (await _audit(demo, "role.changed"))[-1]["detail"]["change"] == "created"
    # When HQ unticks orders and ticks vehicles on the role's page
    change = [("title", "夜班前台"), ("store_scoped", "1"), ("permissions", "customers:read"),
              ("permissions", "vehicles:read")]  # fmt: skip
    saved = await hq.post(f"/console/hq/roles/{role['id']}", change)
    # Then the role holds exactly the ticked ones, audited
    assert saved.status_code == 303
    page = await hq.get(saved.headers["location"])
    assert 'id="saved"' in page.text and 'value="vehicles:read" checked' in page.text
    audited = (await _audit(demo, "role.changed"))[-1]["detail"]
    assert audited["permissions"] == ["customers:read", "vehicles:read"]
    # When a new role's name is not a name, repeats one, or holds a permission nobody has
    bad_name = await hq.post("/console/hq/roles/", [("name", "Night Desk")])
    twice = await hq.post("/console/hq/roles/", [("name", "night_desk")])
    bogus = await hq.post("/console/hq/roles/", [("name", "x_y"), ("permissions", "root:all")])
    # Then each names its field in Chinese, and nothing else was made
    assert field_error(bad_name.text, "name") == "格式不正确"
    assert twice.status_code == 409 and field_error(twice.text, "name") == "已有同名角色"
    assert bogus.status_code == 422 and "不是已声明的权限" in bogus.text
    # And a built-in role is read-only: its page has no save, a post is refused
    technician = next(r for r in roles["items"] if r["name"] == "technician")
    page = await hq.get(f"/console/hq/roles/{technician['id']}")
    assert 'id="builtin"' in page.text and 'id="save"' not in page.text
    refused = await hq.post(f"/console/hq/roles/{technician['id']}", change)
    assert refused.status_code == 409 and "内置角色随权限表而定" in refused.text


async def test_nobody_manages_people_or_roles_beyond_their_reach(app: Litestar, demo: Demo) -> None:
    sh001, sh002 = await demo.store_id("SH001"), await demo.store_id("SH002")
    hq = await signed_in(app, demo, "hq_admin")
    # Given an area manager at SH001: a custom store-scoped role that manages staff and
    # roles, and holds what a technician holds (so it may give that role)
    roles = (await demo.client.get("/api/v1/roles", headers=await demo.headers())).json()
    technician = next(r for r in roles["items"] if r["name"] == "technician")
    held = {"staff:manage", "roles:manage", *technician["permissions"]}
    area = [("name", "area_manager"), ("store_scoped", "1")]
    area += [("permissions", p) for p in sorted(held)]
    assert (await hq.post("/console/hq/roles/", area)).status_code == 303
    await _hired(hq, "area@demo-chain.example", "area_manager", sh001)
    far_away = await _hired(hq, "far@demo-chain.example", "technician", sh002)
    area_manager = await signed_in(app, demo, "area@demo-chain.example")
    # When they open the staff page
    listing = await area_manager.get("/console/hq/staff/")
    # Then they see SH001's people only, and may not give every store
    assert listing.status_code == 200
    assert f"staff-{far_away}" not in listing.text and 'id="all_stores"' not in listing.text
    # When they open, change or invite SH002's technician by URL
    for attempt in (
        area_manager.get(f"/console/hq/staff/{far_away}"),
        area_manager.post(f"/console/hq/staff/{far_away}", [("role", "technician"),
                          ("stores", sh001)]),
        area_manager.post(f"/console/hq/staff/{far_away}/invite", {}),
    ):  # fmt: skip
        # Then it is the not-found page, as for a person of no store of theirs
        assert (await attempt).status_code == 404

    # When they hire at SH002, for every store, or as HQ
    def hire(email: str, role: str, where: tuple[str, str]) -> Any:
        form = [("email", email), ("name", "甲"), ("role", role), where]
        return area_manager.post("/console/hq/staff/", form)

    other_store = await hire("a@demo-chain.example", "technician", ("stores", sh002))
    everywhere = await hire("b@demo-chain.example", "technician", ("all_stores", "1"))
    as_hq = await hire("c@demo-chain.example", "hq_admin", ("stores", sh001))
    # Then each is refused, named, and the API answers the same through the same service
    assert "没有这个门店" in other_store.text and "只能授予您自己所在的门店" in everywhere.text
    assert "此角色的权限超出了您可授予的范围" in as_hq.text
    api = {"Authorization": f"Bearer {await demo.token('area@demo-chain.example')}"}
    body = {"email": "a@demo-chain.example", "name": "甲", "role": "technician", "stores": [sh002]}
    refused = await demo.client.post("/api/v1/staff", json=body, headers=api)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "stores[0]"
    patched = await demo.client.patch(f"/api/v1/staff/{far_away}", json={"active": False},
                                      headers=api)  # fmt: skip
    assert patched.status_code == 404
    # And they may not define roles (a role is the whole tenant's)
    assert (await area_manager.post("/console/hq/roles/", area)).status_code == 403
    # And a store manager (no staff:manage) is refused, another tenant's person or role is
    # not found, and a post without the CSRF token is refused
    manager = await signed_in(app, demo, "store_manager")
    assert (await manager.post(f"/console/hq/staff/{far_away}", {})).status_code == 403
    assert (await manager.get("/console/hq/roles/new")).status_code == 403
    shop = await signed_in(app, demo, "owner@demo-shop.example", tenant="demo-shop")
    assert (await shop.get(f"/console/hq/staff/{far_away}")).status_code == 404
    roles = (await demo.client.get("/api/v1/roles", headers=await demo.headers())).json()
    area_id = next(r["id"] for r in roles["items"] if r["name"] == "area_manager")
    assert (await shop.get(f"/console/hq/roles/{area_id}")).status_code == 404
    assert (await shop.post(f"/console/hq/roles/{area_id}", area)).status_code == 404
    assert (await hq.post(f"/console/hq/staff/{uuid.uuid4()}/invite", {})).status_code == 404
    forged = await hq.post(f"/console/hq/staff/{far_away}", [("active", "0")], csrf=False)
    assert forged.status_code == 403 and (await _staff(demo, far_away))["active"] is True
