"""Applying tenant manifests: the one way ``tenants/*.toml`` reach the database.

Used by ``pitstop tenants plan|apply|adopt``, by ``pitstop demo`` and by tests. It sits on
the delivery side, above both the tenancy domain (which plans and reconciles) and the
plugin host (which validates and applies a manifest's ``[plugins.<name>]``), and joins them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pitstop.access.permissions import ROLE_TEMPLATES, PermissionTable
from pitstop.db.engine import SessionFactory
from pitstop.plugin_host.enablement import manifest_applier, manifest_schemas
from pitstop.plugin_host.manager import PluginHost
from pitstop.provisioning.manifests import load_directory
from pitstop.provisioning.reconcile import Mode, TenantPlan, changes_in, reconcile, render


class ProvisioningServices(Protocol):
    """What applying manifests runs on (a runtime has them): the database, the installed plugins
    (whose settings a manifest may set) and the permission table built-in roles come from."""

    @property
    def sessions(self) -> SessionFactory: ...

    @property
    def plugins(self) -> PluginHost: ...

    @property
    def permissions(self) -> PermissionTable: ...


async def provision(
    services: ProvisioningServices,
    directory: Path,
    *,
    apply: bool,
    adopt: bool = False,
    deactivate: bool = True,
) -> list[TenantPlan]:
    """Validate every manifest first, then plan or apply tenant by tenant."""
    manifests = load_directory(
        directory, roles=frozenset(ROLE_TEMPLATES), plugins=manifest_schemas(services.plugins)
    )
    return await reconcile(
        services.sessions,
        manifests,
        permissions=services.permissions,
        apply=apply,
        plugin_applier=manifest_applier(services.plugins, services.permissions),
        mode=Mode(adopt=adopt, deactivate=deactivate),
    )


def report(plans: list[TenantPlan], *, applied: bool) -> str:
    """What ``pitstop tenants`` prints: the plan, and ``Applied.`` when it changed anything."""
    text = render(plans)
    if applied and changes_in(plans):
        return f"{text}\nApplied."
    return text
