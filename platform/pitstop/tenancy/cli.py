"""Glue between the ``pitstop tenants`` commands and the provisioning code."""

from __future__ import annotations

from pathlib import Path

from pitstop.access.permissions import ROLE_TEMPLATES
from pitstop.hooks.enablement import manifest_applier, manifest_schemas
from pitstop.provisioning.manifests import load_directory
from pitstop.provisioning.reconcile import Mode, TenantPlan, changes_in, reconcile, render
from pitstop.runtime import Runtime
from pitstop.settings import Settings


async def provision(
    runtime: Runtime,
    directory: Path,
    *,
    apply: bool,
    adopt: bool = False,
    deactivate: bool = True,
) -> list[TenantPlan]:
    """The one way manifests reach the database (CLI, ``pitstop demo``, tests)."""
    manifests = load_directory(
        directory, roles=frozenset(ROLE_TEMPLATES), plugins=manifest_schemas(runtime)
    )
    return await reconcile(
        runtime.sessions,
        manifests,
        permissions=runtime.permissions,
        apply=apply,
        plugin_applier=manifest_applier(runtime),
        mode=Mode(adopt=adopt, deactivate=deactivate),
    )


async def reconcile_directory(
    settings: Settings, directory: Path, *, apply: bool, adopt: bool = False
) -> str:
    """Validate every manifest first, then plan or apply tenant by tenant."""
    runtime = Runtime.build(settings)
    try:
        plans = await provision(runtime, directory, apply=apply, adopt=adopt)
    finally:
        await runtime.close()
    text = render(plans)
    if apply and changes_in(plans):
        return f"{text}\nApplied."
    return text
