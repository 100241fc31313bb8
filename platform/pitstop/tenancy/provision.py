"""``pitstop tenants plan|apply``: reconcile the database with validated manifests.

One function computes and performs the changes for a tenant inside one transaction;
``plan`` runs it and rolls back, ``apply`` commits. Sharing the code path is what makes
"after an apply, plan prints No changes." true by construction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.db.engine import SessionFactory
from pitstop.identity import staff as staff_service
from pitstop.tenancy.context import tenant_scope
from pitstop.tenancy.manifests import Manifest, ManifestError, StoreSpec
from pitstop.tenancy.models import Store, Tenant, TenantKind, TenantPlugin

PluginApplier = Callable[[AsyncSession, Tenant, str, Mapping[str, Any]], Any]


@dataclass
class TenantPlan:
    slug: str
    changes: list[tuple[str, str]] = field(default_factory=list)

    def add(self, symbol: str, text: str) -> None:
        self.changes.append((symbol, text))

    def render(self) -> str:
        lines = [f"tenant {self.slug}:"]
        lines += [f"  {symbol} {text}" for symbol, text in self.changes]
        return "\n".join(lines)


async def reconcile(
    factory: SessionFactory,
    manifests: list[Manifest],
    *,
    permissions: PermissionTable,
    apply: bool,
    plugin_applier: PluginApplier | None = None,
) -> list[TenantPlan]:
    plans = []
    for manifest in manifests:
        async with factory() as session:
            transaction = await session.begin()
            plan = await _reconcile_tenant(session, manifest, permissions, plugin_applier)
            if apply:
                await transaction.commit()
            else:
                await transaction.rollback()
        plans.append(plan)
    return plans


def render(plans: list[TenantPlan]) -> str:
    changed = [p for p in plans if p.changes]
    if not changed:
        return "No changes."
    total = sum(len(p.changes) for p in changed)
    body = "\n".join(p.render() for p in changed)
    return f"{body}\n{total} change{'s' if total != 1 else ''}."


async def _reconcile_tenant(
    session: AsyncSession,
    manifest: Manifest,
    permissions: PermissionTable,
    plugin_applier: PluginApplier | None,
) -> TenantPlan:
    spec = manifest.spec
    plan = TenantPlan(manifest.slug)
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == spec.slug))).one_or_none()
    if tenant is None:
        tenant = Tenant(slug=spec.slug, name=spec.name, kind=TenantKind(spec.kind))
        tenant.timezone, tenant.currency, tenant.settings = spec.timezone, spec.currency, {}
        session.add(tenant)
        await session.flush()
        plan.add("+", f"tenant {spec.slug} ({spec.kind})")
    else:
        _diff_fields(plan, f"tenant {spec.slug}", tenant, _tenant_fields(manifest))
    with tenant_scope(tenant.id):
        for change in await staff_service.sync_builtin_roles(session, permissions):
            plan.add(change.symbol, change.text)
        stores = await _reconcile_stores(session, manifest, plan)
        await _reconcile_staff(session, manifest, stores, plan)
        if spec.plugins is not None and plugin_applier is not None:
            for name, settings in spec.plugins.items():
                for symbol, text in await plugin_applier(session, tenant, name, settings):
                    plan.add(symbol, text)
        await session.flush()
    return plan


def _tenant_fields(manifest: Manifest) -> dict[str, Any]:
    spec = manifest.spec
    return {
        "name": spec.name,
        "kind": TenantKind(spec.kind),
        "timezone": spec.timezone,
        "currency": spec.currency,
    }


def _diff_fields(plan: TenantPlan, label: str, row: Any, wanted: Mapping[str, Any]) -> None:
    diffs = []
    for attr, value in wanted.items():
        if getattr(row, attr) != value:
            diffs.append(f"{attr} {getattr(row, attr)!s} -> {value!s}")
            setattr(row, attr, value)
    if diffs:
        plan.add("~", f"{label}: {'; '.join(diffs)}")


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
    session: AsyncSession, manifest: Manifest, plan: TenantPlan
) -> dict[str, uuid.UUID]:
    existing = {s.code: s for s in (await session.scalars(select(Store))).all()}
    if manifest.spec.stores is None:
        return {code: s.id for code, s in existing.items()}
    for spec in manifest.spec.stores:
        wanted = _store_fields(manifest, spec)
        store = existing.get(spec.code)
        if store is None:
            store = Store(code=spec.code, **wanted)
            session.add(store)
            existing[spec.code] = store
            plan.add("+", f"store {spec.code} {spec.name} ({spec.city})")
        else:
            _diff_fields(plan, f"store {spec.code}", store, wanted)
    listed = {s.code for s in manifest.spec.stores}
    for code, store in existing.items():
        if code not in listed and store.active:
            store.active = False
            plan.add("-", f"store {code} (deactivated)")
    await session.flush()
    return {code: s.id for code, s in existing.items()}


async def _reconcile_staff(
    session: AsyncSession, manifest: Manifest, stores: dict[str, uuid.UUID], plan: TenantPlan
) -> None:
    if manifest.spec.staff is None:
        return
    for i, person in enumerate(manifest.spec.staff):
        scope = None if person.stores is None else [stores[c] for c in person.stores]
        try:
            _, change = await staff_service.upsert_member(
                session, email=person.email, name=person.name, role=person.role, store_ids=scope
            )
        except staff_service.HireRefused:
            raise ManifestError(
                manifest.path, f"staff[{i}].email", "this address cannot be hired"
            ) from None
        if change is not None:
            plan.add(change.symbol, change.text)
    keep = {p.email.strip().lower() for p in manifest.spec.staff}
    for change in await staff_service.deactivate_others(session, keep):
        plan.add(change.symbol, change.text)


async def plugin_rows(session: AsyncSession) -> dict[str, TenantPlugin]:
    return {p.plugin: p for p in (await session.scalars(select(TenantPlugin))).all()}
