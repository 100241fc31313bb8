"""Tenant manifests: plan shows changes, apply is idempotent, bad files are refused whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from pitstop.access.permissions import ROLE_TEMPLATES
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.models import Membership
from pitstop.provisioning.manifests import ManifestError, load_manifest
from pitstop.provisioning.reconcile import render
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Store, Tenant
from pitstop.tenant_manifests import provision

ROLES = frozenset(ROLE_TEMPLATES)


async def _run(runtime: Runtime, directory: Path, *, apply: bool) -> str:
    return render(await provision(runtime, directory, apply=apply))


async def test_plan_changes_nothing_then_apply_is_idempotent(
    runtime: Runtime, tenants_dir: Path
) -> None:
    # Given an empty database and the demo manifests
    # When planned
    planned = await _run(runtime, tenants_dir, apply=False)
    # Then the plan lists the additions but nothing was written
    assert "+ tenant demo-chain (chain)" in planned
    assert "+ store SH001 上海徐汇店 (上海)" in planned
    assert "+ staff admin@demo-chain.example as hq_admin [all stores]" in planned
    assert "~ plugin membership: enabled" in planned
    async with runtime.sessions() as session:
        assert (await session.scalars(select(Tenant))).all() == []
    # When applied, and planned again
    applied = await _run(runtime, tenants_dir, apply=True)
    assert applied == planned
    # Then there is nothing left to do
    assert await _run(runtime, tenants_dir, apply=False) == "No changes."
    assert await _run(runtime, tenants_dir, apply=True) == "No changes."


async def test_plan_shows_changes_and_removals(
    runtime: Runtime, tmp_path: Path, tenants_dir: Path
) -> None:
    # Given the demo chain applied
    shutil.copy(tenants_dir / "demo-chain.toml", tmp_path / "demo-chain.toml")
    await _run(runtime, tmp_path, apply=True)
    # When a store is renamed, another dropped, and a staff member moved to another role
    text = (tmp_path / "demo-chain.toml").read_text(encoding="utf-8")
    text = text.replace('name = "上海浦东店"', 'name = "上海浦东旗舰店"')
    text = text.replace('code = "HZ101"', 'code = "HZ102"')
    text = text.replace('role = "hq_analyst"', 'role = "marketing"')
    (tmp_path / "demo-chain.toml").write_text(text, encoding="utf-8")
    planned = await _run(runtime, tmp_path, apply=False)
    # Then the plan shows each change, addition and removal
    assert "~ store SH002: name 上海浦东店 -> 上海浦东旗舰店" in planned
    assert "+ store HZ102" in planned
    assert "- store HZ101 (deactivated)" in planned
    assert "~ staff analyst@demo-chain.example: role hq_analyst -> marketing" in planned
    # And applying it deactivates (never deletes) the dropped store
    await _run(runtime, tmp_path, apply=True)
    async with runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant))).one()
        with tenant_scope(tenant.id):
            stores = {s.code: s.active for s in (await session.scalars(select(Store))).all()}
    assert stores["HZ101"] is False and stores["HZ102"] is True


async def test_dropping_a_staff_entry_deactivates_the_membership(
    runtime: Runtime, tmp_path: Path, tenants_dir: Path
) -> None:
    # Given the demo shop applied
    shutil.copy(tenants_dir / "demo-shop.toml", tmp_path / "demo-shop.toml")
    await _run(runtime, tmp_path, apply=True)
    # When the advisor is removed from the manifest
    text = (tmp_path / "demo-shop.toml").read_text(encoding="utf-8")
    text = text[: text.index('[[staff]]\nemail = "advisor')]
    (tmp_path / "demo-shop.toml").write_text(text, encoding="utf-8")
    planned = await _run(runtime, tmp_path, apply=True)
    # Then the plan says so and the membership is inactive
    assert "- staff advisor@demo-shop.example (deactivated)" in planned
    async with runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant))).one()
        with tenant_scope(tenant.id):
            active = [m.active for m in (await session.scalars(select(Membership))).all()]
    assert sorted(active) == [False, True]


BAD_MANIFESTS = [
    ("colour = 'red'\n", "colour"),
    ("[[stores]]\ncode = 'A'\nname = 'a'\ncity = 'c'\nregion = 'suburb'\n", "stores[0].region"),
    (
        "[[stores]]\ncode = 'A'\nname = 'a'\ncity = 'c'\nhours = { mon = '18:00-08:00' }\n",
        "stores[0].hours.mon",
    ),
    (
        "[[stores]]\ncode = 'A'\nname = 'a'\ncity = 'c'\nholidays = ['2026-13-01']\n",
        "stores[0].holidays[0]",
    ),
    ("[[stores]]\ncode = 'A'\nname = 'a'\ncity = 'c'\nunknown = 1\n", "stores[0]"),
    ("[[staff]]\nemail = 'x@y.example'\nname = 'X'\nrole = 'janitor'\n", "staff[0].role"),
    ("[[staff]]\nemail = 'not-an-email'\nname = 'X'\nrole = 'technician'\n", "staff[0].email"),
    (
        "[[staff]]\nemail = 'x@y.example'\nname = 'X'\nrole = 'technician'\nstores = ['NOPE']\n",
        "staff[0].stores[0]",
    ),
    ("[plugins.teleport]\nenabled = true\n", "plugins.teleport"),
]


@pytest.mark.parametrize(("extra", "key"), BAD_MANIFESTS)
def test_bad_manifest_names_file_and_key(tmp_path: Path, extra: str, key: str) -> None:
    # Given a manifest with one bad key
    path = tmp_path / "bad.toml"
    path.write_text(f"slug = 'bad'\nname = 'Bad'\nkind = 'shop'\n{extra}", encoding="utf-8")
    # When it is loaded
    with pytest.raises(ManifestError) as error:
        load_manifest(path, roles=ROLES)
    # Then the message names the file and the key
    assert str(path) in str(error.value)
    assert key in str(error.value)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("slug = 'Bad Slug'\nname = 'B'\nkind = 'shop'\n", "slug"),
        ("slug = 'b'\nname = 'B'\nkind = 'franchise'\n", "kind"),
        ("slug = 'b'\nname = 'B'\nkind = 'shop'\ntimezone = 'Mars/Olympus'\n", "timezone"),
        ("slug = 'b'\nname = 'B'\nkind = 'shop'\ncurrency = 'yuan'\n", "currency"),
    ],
)
def test_bad_top_level_value_is_named(tmp_path: Path, header: str, key: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(header, encoding="utf-8")
    with pytest.raises(ManifestError) as error:
        load_manifest(path, roles=ROLES)
    assert error.value.key == key


async def test_bad_manifest_applies_nothing_for_that_tenant(
    runtime: Runtime, tmp_path: Path
) -> None:
    # Given a directory whose only manifest has a bad store deep inside
    (tmp_path / "t.toml").write_text(
        "slug = 't'\nname = 'T'\nkind = 'shop'\n"
        "[[stores]]\ncode = 'A'\nname = 'a'\ncity = 'c'\n"
        "[[stores]]\ncode = 'A'\nname = 'dup'\ncity = 'c'\n",
        encoding="utf-8",
    )
    # When applying, validation fails before the database is touched
    with pytest.raises(ManifestError, match=r"stores\[1\]\.code"):
        await _run(runtime, tmp_path, apply=True)
    # Then no tenant exists
    async with runtime.sessions() as session:
        assert (await session.scalars(select(Tenant))).all() == []
