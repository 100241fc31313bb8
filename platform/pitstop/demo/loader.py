"""``pitstop demo``: a newcomer's first minute — tenants, logins, and data to look at.

Idempotent: it re-applies the manifests (no change the second time), sets every demo staff
member's password to ``PITSTOP_DEMO_PASSWORD`` where it is not that already (so the printed
logins always work, and a second run signs nobody out), loads the CRM book once, and lets
each enabled plugin show itself through its ``demo_data`` hook (members with points history
and tiers, complaints in every state), which does nothing once its data is there, and
scores every tenant's customers by RFM once, so segments and the KPI board show data.
It never deactivates anything and never touches what was added through the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from pitstop.crm import rollups, visit_links
from pitstop.db.tenant_context import tenant_scope
from pitstop.demo.crm_book import SIZES, BookSize, load_demo_crm
from pitstop.identity.models import Membership, User
from pitstop.identity.passwords import hash_password, verify_password
from pitstop.insights import rfm
from pitstop.insights.models import RfmRun
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import ManagedBy, Tenant
from pitstop.tenant_manifests import provision


@dataclass(frozen=True)
class DemoReport:
    logins: list[tuple[str, str, str]]
    """(tenant slug, role, e-mail) of every demo login."""
    books: dict[str, int]
    """Customers added per tenant (0 when its book was there already)."""
    plugins: list[tuple[str, str, str]]
    """(tenant slug, plugin, what its demo data holds)."""
    scored: dict[str, int] = field(default_factory=dict)
    """Customers given RFM scores per tenant (absent when a run was there already)."""


async def load_demo(settings: Settings, tenants_dir: Path) -> str:
    runtime = Runtime.build(settings)
    try:
        report = await run_demo(runtime, tenants_dir)
    finally:
        await runtime.close()
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "Demo tenants are ready.",
        f"  Console:  {base}/console/",
        f"  API:      {base}/api/v1",
        f"  OpenAPI:  {base}/schema",
        f"  Health:   {base}/health",
        *(
            f"  Demo data: {slug} +{n} customers with vehicles and service history"
            for slug, n in report.books.items()
            if n
        ),
        *(f"  Demo data: {slug} {plugin}: {line}" for slug, plugin, line in report.plugins),
        *(
            f"  Insights:  {slug} RFM segments for {n} customers"
            for slug, n in report.scored.items()
        ),
        f"Demo logins (password: {settings.demo_password}):",
        *(f"  {slug:<12} {role:<16} {email}" for slug, role, email in report.logins),
    ]
    return "\n".join(lines)


async def run_demo(
    runtime: Runtime, tenants_dir: Path, sizes: Mapping[str, BookSize] = SIZES
) -> DemoReport:
    """Everything ``pitstop demo`` does, on a given runtime (tests pass a smaller book)."""
    logins = await prepare_demo_tenants(runtime, tenants_dir)
    books = await load_demo_crm(runtime.sessions, runtime.clock(), sizes)
    plugins = await load_plugin_demos(runtime, sizes)
    scored = await score_demo_customers(runtime, sizes)
    return DemoReport(logins, books, plugins, scored)


async def prepare_demo_tenants(runtime: Runtime, tenants_dir: Path) -> list[tuple[str, str, str]]:
    """Apply the demo manifests without deactivating anything, then set demo passwords.

    The records the demo manifests name are the demo's own, so they are adopted (which also
    brings a database from before ``managed_by`` back to the demo). Anything else, such as
    a store or a person added through the API while trying Pitstop out, is left alone.
    """
    plans = await provision(runtime, tenants_dir, apply=True, adopt=True, deactivate=False)
    return await _set_demo_passwords(runtime, [p.slug for p in plans])


async def _tenants(runtime: Runtime, slugs: Iterable[str]) -> list[tuple[str, uuid.UUID]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Tenant.slug, Tenant.id).where(Tenant.slug.in_(list(slugs))).order_by(Tenant.slug)
        )
        return [(row[0], row[1]) for row in rows.all()]


async def load_plugin_demos(runtime: Runtime, slugs: Iterable[str]) -> list[tuple[str, str, str]]:
    """Call ``demo_data`` of every plugin each demo tenant enabled: one transaction per
    tenant, inside its scope, so a plugin's demo data is written like its real data."""
    shown = []
    for slug, tenant_id in await _tenants(runtime, slugs):
        with tenant_scope(tenant_id):
            async with runtime.sessions() as session, session.begin():
                for plugin, line in await runtime.plugins.call_each("demo_data", session):
                    if line:
                        shown.append((slug, plugin, str(line)))
    return shown


async def score_demo_customers(runtime: Runtime, slugs: Iterable[str]) -> dict[str, int]:
    """Build the daily rollups and the visit links (the book is bulk-written) and run the
    nightly RFM scoring once per demo tenant, so the segments, the customer filters and the
    board show data at once; a tenant already scored is left as it is
    (a second ``pitstop demo`` changes nothing)."""
    scored = {}
    for slug, tenant_id in await _tenants(runtime, slugs):
        with tenant_scope(tenant_id):
            async with runtime.sessions() as session, session.begin():
                rolled = await session.scalar(select(rollups.StoreDay.id).limit(1))
                if rolled is None or not await visit_links.complete(session):
                    await rollups.nightly(session, runtime.clock())
                if await session.scalar(select(RfmRun.id).limit(1)) is None:
                    scored[slug] = (await rfm.run(session, runtime.clock())).customers
    return scored


async def _set_demo_passwords(runtime: Runtime, slugs: list[str]) -> list[tuple[str, str, str]]:
    password = runtime.settings.demo_password
    password_hash = hash_password(password)
    logins, verified = [], dict[str, bool]()
    async with runtime.sessions() as session, session.begin():
        tenants = (await session.scalars(select(Tenant).where(Tenant.slug.in_(slugs)))).all()
        for tenant in sorted(tenants, key=lambda t: t.slug):
            with tenant_scope(tenant.id):
                # Only the manifests' people whose identity this tenant owns: never someone
                # hired through the API, nor another tenant's (or the person's own) identity.
                rows = (
                    await session.execute(
                        select(User, Membership.role)
                        .join(Membership, Membership.user_id == User.id)
                        .where(
                            Membership.active.is_(True),
                            Membership.pending.is_(False),
                            Membership.managed_by == ManagedBy.manifest,
                            User.owner_tenant_id == tenant.id,
                        )
                        .order_by(User.email)
                    )
                ).all()
                for user, role in rows:
                    if not _holds(user.password_hash, password, verified):
                        user.replace_password(password_hash)
                    logins.append((tenant.slug, role, user.email))
                await session.flush()
    return logins


def _holds(password_hash: str | None, password: str, verified: dict[str, bool]) -> bool:
    """Whether a demo login's hash is of the demo password, each distinct hash checked once:
    the demo's logins share one hash, and each argon2 check costs 0.2-0.6 s."""
    if password_hash is None:
        return False
    if password_hash not in verified:
        verified[password_hash] = verify_password(password_hash, password)
    return verified[password_hash]
