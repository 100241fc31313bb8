"""One validation path for tenants: the API refuses exactly what a manifest refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop.identity.models import User
from pitstop.provisioning.manifests import ManifestError, load_manifest
from tests.support.demo import PASSWORD_HASH, Demo

BAD_FIELDS = [
    ("timezone", "Mars/Base"),
    ("currency", "??"),
    ("slug", "Not A Slug"),
    ("name", "   "),
]


async def _operator_headers(demo: Demo) -> dict[str, str]:
    async with demo.runtime.sessions() as session, session.begin():
        session.add(
            User(
                email="ops@pitstop.example",
                name="Ops",
                platform_admin=True,
                password_hash=PASSWORD_HASH,
            )
        )
    token = await demo.token("ops@pitstop.example", tenant=None)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
async def test_the_api_refuses_what_a_manifest_refuses(
    demo: Demo, tmp_path: Path, field: str, value: str
) -> None:
    # Given a tenant with one bad field, sent through the API and written as a manifest
    body = {"slug": "new-shop", "name": "New shop", "kind": "shop", field: value}
    manifest = tmp_path / "new.toml"
    manifest.write_text(
        "\n".join(f"{k} = {v!r}" for k, v in body.items()).replace("'", '"'), encoding="utf-8"
    )
    # When the operator creates it, and the manifest is loaded
    response = await demo.client.post(
        "/api/v1/platform/tenants", json=body, headers=await _operator_headers(demo)
    )
    with pytest.raises(ManifestError) as refused:
        load_manifest(manifest, roles=frozenset())
    # Then both refuse it, naming the same field
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert refused.value.key == field
