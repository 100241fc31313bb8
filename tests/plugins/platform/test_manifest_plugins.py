"""A manifest's ``[plugins.<name>]`` goes through the same path as the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.provisioning.manifests import ManifestError
from pitstop.provisioning.reconcile import render
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant, TenantPlugin
from pitstop.tenant_manifests import provision

HEADER = "slug = 'acme'\nname = 'Acme'\nkind = 'shop'\n"


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "acme.toml").write_text(HEADER + body, encoding="utf-8")
    return tmp_path


async def test_manifest_enables_a_plugin_with_settings_idempotently(
    runtime: Runtime, tmp_path: Path
) -> None:
    # Given a manifest turning the sample plugin on with a setting
    directory = _write(tmp_path, "[plugins.sample]\nenabled = true\nlimit = 4\n")
    # When it is planned, applied, then planned again
    planned = render(await provision(runtime, directory, apply=False))
    applied = render(await provision(runtime, directory, apply=True))
    again = render(await provision(runtime, directory, apply=False))
    # Then the plan names the switch, the apply makes it, and the second plan has nothing to do
    assert "plugin sample: enabled" in planned
    assert "plugin sample: enabled" in applied
    assert again == "No changes."
    async with runtime.sessions() as session:
        tenant = (await session.scalars(select(Tenant).where(Tenant.slug == "acme"))).one()
        with tenant_scope(tenant.id):
            row = (await session.scalars(select(TenantPlugin))).one()
    assert (row.plugin, row.enabled, row.settings["limit"]) == ("sample", True, 4)


async def test_bad_plugin_settings_in_a_manifest_name_file_and_key(
    runtime: Runtime, tmp_path: Path
) -> None:
    directory = _write(tmp_path, "[plugins.sample]\nlimit = 'many'\n")
    with pytest.raises(ManifestError) as error:
        await provision(runtime, directory, apply=True)
    assert "acme.toml: plugins.sample.limit:" in str(error.value)
