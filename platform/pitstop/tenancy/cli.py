"""Glue between the ``pitstop tenants`` commands and the provisioning code."""

from __future__ import annotations

from pathlib import Path

from pitstop.access.permissions import ROLE_TEMPLATES
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.manifests import load_directory
from pitstop.tenancy.provision import reconcile, render


async def reconcile_directory(settings: Settings, directory: Path, *, apply: bool) -> str:
    """Validate every manifest first, then plan or apply tenant by tenant."""
    manifests = load_directory(directory, roles=frozenset(ROLE_TEMPLATES))
    runtime = Runtime.build(settings)
    try:
        plans = await reconcile(
            runtime.sessions, manifests, permissions=runtime.permissions, apply=apply
        )
    finally:
        await runtime.close()
    text = render(plans)
    if apply and text != "No changes.":
        return f"{text}\nApplied."
    return text
