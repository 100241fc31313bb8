"""``pitstop tenants plan|apply|adopt``: reconcile the database with validated manifests.

One function computes and performs the changes for a tenant inside one transaction;
``plan`` runs it and rolls back, ``apply`` commits. Sharing the code path is what makes
"after an apply, plan prints No changes." true by construction.

Terraform's rule: a manifest manages only the stores, staff and roles it created or was told
to adopt (``managed_by = manifest``). A record the API created is never changed or
deactivated by ``apply``; an entry naming one prints ``=`` with how to adopt it, and
``adopt`` hands it to the manifest. Every change is audited with the manifest as actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import acting_as, record
from pitstop.access.permissions import PermissionTable
from pitstop.db.base import new_id
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity import staff as staff_service
from pitstop.provisioning.manifests import Manifest, ManifestError, StoreSpec
from pitstop.tenancy.models import ManagedBy, Store, Tenant, TenantKind

PluginApplier = Callable[[AsyncSession, Tenant, str, Mapping[str, Any]], Any]
NOTE = "="
"""A plan line that is not a change: a named record the manifest does not manage."""
ADOPT_HINT = "(adopt it with pitstop tenants adopt)"


@dataclass
class TenantPlan:
    slug: str
    changes: list[tuple[str, str]] = field(default_factory=list)

    def add(self, symbol: str, text: str) -> None:
        self.changes.append((symbol, text))

    @property
    def count(self) -> int:
        return sum(1 for symbol, _ in self.changes if symbol != NOTE)

    def render(self) -> str:
        lines = [f"tenant {self.slug}:"]
        lines += [f"  {symbol} {text}" for symbol, text in self.changes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Mode:
    """How far a run may go: ``adopt`` takes over named API records; ``deactivate`` False
    (``pitstop demo``) never deactivates anything."""

    adopt: bool = False
    deactivate: bool = True


async def reconcile(
    factory: SessionFactory,
    manifests: list[Manifest],
    *,
    permissions: PermissionTable,
    apply: bool,
    plugin_applier: PluginApplier | None = None,
    mode: Mode = Mode(),
) -> list[TenantPlan]:
    plans = []
    for manifest in manifests:
        async with factory() as session:
            transaction = await session.begin()
            with acting_as("manifest", None, manifest=Path(manifest.path).name):
                plan = await _reconcile_tenant(session, manifest, permissions, plugin_applier, mode)
            if apply:
                await transaction.commit()
            else:
                await transaction.rollback()
        plans.append(plan)
    return plans


def changes_in(plans: list[TenantPlan]) -> int:
    return sum(p.count for p in plans)


def render(plans: list[TenantPlan]) -> str:
    shown = [p for p in plans if p.changes]
    if not shown:
        return "No changes."
    total = changes_in(plans)
    body = "\n".join(p.render() for p in shown)
    if not total:
        return f"{body}\nNo changes."
    return f"{body}\n{total} change{'s' if total != 1 else ''}."


async def _reconcile_tenant(
    session: AsyncSession,
    manifest: Manifest,
    permissions: PermissionTable,
    plugin_applier: PluginApplier | None,
    mode: Mode,
) -> TenantPlan:
    spec = manifest.spec
    plan = TenantPlan(manifest.slug)
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == spec.slug))).one_or_none()
    tenant_change: dict[str, Any] = {}
    if tenant is None:
        tenant = Tenant(slug=spec.slug, name=spec.name, kind=TenantKind(spec.kind))
        tenant.timezone, tenant.currency, tenant.settings = spec.timezone, spec.currency, {}
        session.add(tenant)
        await session.flush()
        plan.add("+", f"tenant {spec.slug} ({spec.kind})")
        tenant_change = {"change": "created"}
    else:
        fields = _diff_fields(plan, f"tenant {spec.slug}", tenant, _tenant_fields(manifest))
        tenant_change = {"change": "updated", "fields": fields} if fields else {}
    with tenant_scope(tenant.id):
        if tenant_change:
            created = tenant_change["change"] == "created"
            action = "tenant.created" if created else "tenant.changed"
            await _audit(session, action, "tenant", tenant.id, tenant_change)
        roles = await staff_service.sync_builtin_roles(
            session, permissions, managed_by=ManagedBy.manifest
        )
        for change in roles:
            plan.add(change.symbol, change.text)
            await _audit(session, "role.changed", "role", change.subject_id, change.detail)
        stores = await _reconcile_stores(session, manifest, plan, mode)
        await _reconcile_staff(session, manifest, stores, plan, mode)
        if spec.plugins is not None and plugin_applier is not None:
            for name, settings in spec.plugins.items():
                for symbol, text in await plugin_applier(session, tenant, name, settings):
                    plan.add(symbol, text)
        await session.flush()
    return plan


async def _audit(
    session: AsyncSession,
    action: str,
    resource: str,
    resource_id: uuid.UUID | None,
    detail: dict[str, Any],
) -> None:
    await record(session, action, resource=resource, resource_id=resource_id, detail=detail)


def _tenant_fields(manifest: Manifest) -> dict[str, Any]:
    spec = manifest.spec
    return {
        "name": spec.name,
        "kind": TenantKind(spec.kind),
        "timezone": spec.timezone,
        "currency": spec.currency,
    }


def _diff_fields(plan: TenantPlan, label: str, row: Any, wanted: Mapping[str, Any]) -> list[str]:
    """Set what differs, say so in the plan, and return the names of the changed fields."""
    diffs, changed = [], []
    for attr, value in wanted.items():
        if getattr(row, attr) != value:
            diffs.append(f"{attr} {getattr(row, attr)!s} -> {value!s}")
            changed.append(attr)
            setattr(row, attr, value)
    if diffs:
        plan.add("~", f"{label}: {'; '.join(diffs)}")
    return changed


def _store_fields(manifest: Manifest, store: StoreSpec) -> dict[str, Any]:
    return {
        "name": store.name,
        "city": store.city,
        "region": store.region,
        "timezone": store.timezone or manifest.spec.timezone,
        "hours": manifest.store_hours[store.code],
        "holidays": manifest.store_holidays[store.code],
        "active": True,
    }


async def _reconcile_stores(
    session: AsyncSession, manifest: Manifest, plan: TenantPlan, mode: Mode
) -> dict[str, uuid.UUID]:
    existing = {s.code: s for s in (await session.scalars(select(Store))).all()}
    if manifest.spec.stores is None:
        return {code: s.id for code, s in existing.items()}
    for spec in manifest.spec.stores:
        wanted = _store_fields(manifest, spec)
        store = existing.get(spec.code)
        if store is None:
            store = Store(id=new_id(), code=spec.code, managed_by=ManagedBy.manifest, **wanted)
            session.add(store)
            existing[spec.code] = store
            plan.add("+", f"store {spec.code} {spec.name} ({spec.city})")
            await _audit(session, "store.created", "store", store.id, {"code": spec.code})
            continue
        if not await _claimed(session, plan, "store", spec.code, store, mode):
            continue
        fields = _diff_fields(plan, f"store {spec.code}", store, wanted)
        if fields:
            await _audit(session, "store.changed", "store", store.id, {"fields": fields})
    listed = {s.code for s in manifest.spec.stores}
    for code, store in existing.items():
        if code in listed or not store.active or store.managed_by != ManagedBy.manifest:
            continue
        if mode.deactivate:
            store.active = False
            plan.add("-", f"store {code} (deactivated)")
            await _audit(session, "store.deactivated", "store", store.id, {"code": code})
    await session.flush()
    return {code: s.id for code, s in existing.items()}


async def _claimed(
    session: AsyncSession, plan: TenantPlan, kind: str, name: str, row: Any, mode: Mode
) -> bool:
    """Whether the manifest manages this existing record, adopting it first if told to."""
    if row.managed_by == ManagedBy.manifest:
        return True
    if not mode.adopt:
        plan.add(NOTE, f"{kind} {name} is managed by the API {ADOPT_HINT}")
        return False
    row.managed_by = ManagedBy.manifest
    plan.add("~", f"adopt {kind} {name}")
    action = "store.changed" if kind == "store" else "staff.changed"
    await _audit(session, action, kind, row.id, {"change": "adopted"})
    return True


async def _reconcile_staff(
    session: AsyncSession,
    manifest: Manifest,
    stores: dict[str, uuid.UUID],
    plan: TenantPlan,
    mode: Mode,
) -> None:
    if manifest.spec.staff is None:
        return
    for i, person in enumerate(manifest.spec.staff):
        email = person.email.strip().lower()
        existing = await staff_service.membership_of(session, email)
        if existing is not None and not await _claimed(
            session, plan, "staff", email, existing, mode
        ):
            continue
        scope = None if person.stores is None else [stores[c] for c in person.stores]
        try:
            membership, change = await staff_service.upsert_member(
                session,
                email=email,
                name=person.name,
                role=person.role,
                store_ids=scope,
                managed_by=ManagedBy.manifest,
            )
        except staff_service.HireRefused:
            raise ManifestError(
                manifest.path, f"staff[{i}].email", "this address cannot be hired"
            ) from None
        if change is not None:
            plan.add(change.symbol, change.text)
            await _audit(session, "staff.changed", "staff", membership.id, change.detail)
    if not mode.deactivate:
        return
    keep = {p.email.strip().lower() for p in manifest.spec.staff}
    for change in await staff_service.deactivate_others(session, keep):
        plan.add(change.symbol, change.text)
        await _audit(session, "staff.changed", "staff", change.subject_id, change.detail)
