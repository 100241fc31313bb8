"""Manifests own only what they declare (issue 12, item 1): Terraform's rule.

HQ opens a store and hires a person through the API; re-applying the manifests (as
``make run`` does through ``pitstop demo``) must leave both alone. A manifest manages what it
created or was told to adopt, and every change it makes lands in the audit log.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.demo.loader import prepare_demo_tenants
from pitstop.identity.models import Membership, User
from pitstop.provisioning.reconcile import render
from pitstop.tenancy.models import Store, Tenant
from pitstop.tenant_manifests import provision
from tests.support.demo import TENANTS_DIR, Demo

HIRED = "new.sz001@demo-chain.example"
OWN_PASSWORD = "my-own-long-password"
SZ001 = {"code": "SZ001", "name": "深圳南山店", "city": "深圳"}


async def _plan(demo: Demo, directory: Path, *, apply: bool, adopt: bool = False) -> str:
    return render(await provision(demo.runtime, directory, apply=apply, adopt=adopt))


async def _open_store_and_hire(demo: Demo) -> tuple[str, str]:
    """Through the API: store SZ001, and an advisor there who set their own password."""
    admin = await demo.headers()
    store = await demo.client.post("/api/v1/stores", headers=admin, json=SZ001)
    assert store.status_code == 201, store.text
    assert store.json()["managed_by"] == "api"
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={
            "email": HIRED,
            "name": "新顾问",
            "role": "service_advisor",
            "stores": [store.json()["id"]],
        },
    )
    assert hired.status_code == 201, hired.text
    invite = await demo.client.post(f"/api/v1/staff/{hired.json()['id']}/invite", headers=admin)
    redeemed = await demo.client.post(
        "/api/v1/auth/set-password",
        json={"tenant": "demo-chain", "token": invite.json()["token"], "password": OWN_PASSWORD},
    )
    assert redeemed.status_code == 204, redeemed.text
    assert await _login(demo) == 200
    return store.json()["id"], hired.json()["id"]


async def _login(demo: Demo) -> int:
    response = await demo.client.post(
        "/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": HIRED, "password": OWN_PASSWORD},
    )
    return response.status_code


async def _rows(demo: Demo) -> tuple[dict[str, Store], dict[str, Membership]]:
    async with demo.runtime.sessions() as session:
        chain = (await session.scalars(select(Tenant).where(Tenant.slug == "demo-chain"))).one()
        with tenant_scope(chain.id):
            stores = {s.code: s for s in (await session.scalars(select(Store))).all()}
            rows = (
                await session.execute(
                    select(Membership, User.email).join(User, User.id == Membership.user_id)
                )
            ).all()
    return stores, {email: membership for membership, email in rows}


def _chain_manifest(tmp_path: Path, extra: str = "") -> Path:
    text = (TENANTS_DIR / "demo-chain.toml").read_text(encoding="utf-8")
    (tmp_path / "demo-chain.toml").write_text(text + extra, encoding="utf-8")
    return tmp_path


async def test_reapplying_manifests_leaves_api_records_alone(demo: Demo) -> None:
    # Given a store and a person created through the API after the manifests were applied
    await _open_store_and_hire(demo)
    # When the manifests are applied again, twice
    first = await _plan(demo, TENANTS_DIR, apply=True)
    second = await _plan(demo, TENANTS_DIR, apply=True)
    # Then nothing changed: the store is open, the person active and able to sign in
    assert first == second == "No changes."
    stores, staff = await _rows(demo)
    assert stores["SZ001"].active and stores["SZ001"].managed_by == "api"
    assert staff[HIRED].active and staff[HIRED].managed_by == "api"
    listed = await demo.client.get("/api/v1/stores", headers=await demo.headers())
    assert {s["code"]: s["managed_by"] for s in listed.json()["items"]}["SH001"] == "manifest"
    assert await _login(demo) == 200
    # And the manifest's own records say who manages them
    assert stores["SH001"].managed_by == "manifest"
    assert staff["admin@demo-chain.example"].managed_by == "manifest"
    assert await _plan(demo, TENANTS_DIR, apply=False) == "No changes."


async def test_a_manifest_naming_an_api_record_leaves_it_until_adopted(
    demo: Demo, tmp_path: Path
) -> None:
    # Given API-created SZ001 and its advisor, and a manifest that now names both
    await _open_store_and_hire(demo)
    directory = _chain_manifest(
        tmp_path,
        '\n[[stores]]\ncode = "SZ001"\nname = "深圳旗舰店"\ncity = "深圳"\n'
        f'\n[[staff]]\nemail = "{HIRED}"\nname = "新顾问"\nrole = "store_manager"\n'
        'stores = ["SZ001"]\n',
    )
    # When it is planned and applied
    planned = await _plan(demo, directory, apply=False)
    applied = await _plan(demo, directory, apply=True)
    # Then the plan says who manages them, and nothing changed
    note = "= store SZ001 is managed by the API (adopt it with pitstop tenants adopt)"
    assert note in planned and note in applied
    assert f"= staff {HIRED} is managed by the API" in planned
    assert planned.endswith("No changes.")
    stores, staff = await _rows(demo)
    assert stores["SZ001"].name == SZ001["name"] and staff[HIRED].role == "service_advisor"
    # When the records are adopted
    preview = await _plan(demo, directory, apply=False, adopt=True)
    adopted = await _plan(demo, directory, apply=True, adopt=True)
    # Then the plan says so, and the manifest now manages and changes them
    assert "~ adopt store SZ001" in preview and f"~ adopt staff {HIRED}" in preview
    assert preview == adopted
    stores, staff = await _rows(demo)
    assert stores["SZ001"].managed_by == staff[HIRED].managed_by == "manifest"
    assert stores["SZ001"].name == "深圳旗舰店" and staff[HIRED].role == "store_manager"
    assert await _plan(demo, directory, apply=False) == "No changes."
    # And once managed, dropping them from the manifest deactivates them
    _chain_manifest(tmp_path)
    dropped = await _plan(demo, directory, apply=True)
    assert "- store SZ001 (deactivated)" in dropped
    assert f"- staff {HIRED} (deactivated)" in dropped


async def _audit(demo: Demo, **query: str) -> list[dict[str, Any]]:
    response = await demo.client.get(
        "/api/v1/audit", params={"limit": "200", **query}, headers=await demo.headers()
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_every_change_a_manifest_makes_is_audited(demo: Demo, tmp_path: Path) -> None:
    # Given the demo chain applied by the demo fixture: its stores were created by a manifest
    created = await _audit(demo, action="store.created")
    assert len(created) == 4
    assert {e["actor_kind"] for e in created} == {"manifest"}
    # When a manifest renames a store, drops another, moves a person and changes a plugin
    text = (TENANTS_DIR / "demo-chain.toml").read_text(encoding="utf-8")
    text = text.replace('name = "上海浦东店"', 'name = "上海浦东旗舰店"')
    text = text.replace('role = "hq_analyst"', 'role = "marketing"')
    text = text.replace("points_per_yuan = 1", "points_per_yuan = 2")
    start = text.index('[[stores]]\ncode = "HZ101"')
    text = text[:start] + text[text.index("[[staff]]", start) :]
    (tmp_path / "demo-chain.toml").write_text(text, encoding="utf-8")
    await _plan(demo, tmp_path, apply=True)
    # Then each change is one audit row whose actor is the manifest
    changed = await _audit(demo, action="store.changed")
    deactivated = await _audit(demo, action="store.deactivated")
    staff = await _audit(demo, action="staff.changed")
    plugin = await _audit(demo, action="plugin.changed")
    assert [e["detail"].get("fields") for e in changed] == [["name"]]
    assert len(deactivated) == 1
    assert any(e["detail"].get("role") == ["hq_analyst", "marketing"] for e in staff)
    assert plugin and plugin[-1]["detail"]["settings_changed"] == ["points_per_yuan"]
    for entry in [*changed, *deactivated, *staff, *plugin]:
        assert entry["actor_kind"] == "manifest"
        assert entry["detail"]["manifest"] == "demo-chain.toml"


async def test_the_demo_never_deactivates_and_never_resets_api_staff(
    demo: Demo, tmp_path: Path
) -> None:
    # Given an API-hired person with their own password, and manifests that drop a store
    await _open_store_and_hire(demo)
    shutil.copy(TENANTS_DIR / "demo-shop.toml", tmp_path / "demo-shop.toml")
    text = (TENANTS_DIR / "demo-chain.toml").read_text(encoding="utf-8")
    start = text.index('[[stores]]\ncode = "HZ101"')
    text = text[:start] + text[text.index("[[staff]]", start) :]
    (tmp_path / "demo-chain.toml").write_text(text, encoding="utf-8")
    # When `pitstop demo` prepares its tenants from them
    logins = await prepare_demo_tenants(demo.runtime, tmp_path)
    # Then no store was deactivated, and the API-hired person keeps their own password
    stores, _ = await _rows(demo)
    assert all(store.active for store in stores.values())
    assert await _login(demo) == 200
    assert HIRED not in {email for _, _, email in logins}
    assert ("demo-chain", "hq_admin", "admin@demo-chain.example") in logins
