"""``pitstop demo``: a newcomer's first minute — tenants, logins, and data to look at.

Idempotent: it re-applies the manifests (no change the second time) and resets every demo
staff member's password to ``PITSTOP_DEMO_PASSWORD`` so the printed logins always work.
It never deactivates anything and never touches what was added through the API.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pitstop.crm.demo_data import load_demo_crm
from pitstop.identity.models import Membership, User
from pitstop.identity.passwords import hash_password
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.cli import provision
from pitstop.tenancy.context import tenant_scope
from pitstop.tenancy.models import ManagedBy, Tenant


async def load_demo(settings: Settings, tenants_dir: Path) -> str:
    runtime = Runtime.build(settings)
    try:
        logins = await prepare_demo_tenants(runtime, tenants_dir)
        books = await load_demo_crm(runtime.sessions, runtime.clock())
    finally:
        await runtime.close()
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "Demo tenants are ready.",
        f"  API:      {base}/api/v1",
        f"  OpenAPI:  {base}/schema",
        f"  Health:   {base}/health",
        *(
            f"  Demo data: {slug} +{n} customers with vehicles and service history"
            for slug, n in books.items()
            if n
        ),
        f"Demo logins (password: {settings.demo_password}):",
        *(f"  {slug:<12} {role:<16} {email}" for slug, role, email in logins),
    ]
    return "\n".join(lines)


async def prepare_demo_tenants(runtime: Runtime, tenants_dir: Path) -> list[tuple[str, str, str]]:
    """Apply the demo manifests without deactivating anything, then set demo passwords.

    The records the demo manifests name are the demo's own, so they are adopted (which also
    brings a database from before ``managed_by`` back to the demo). Anything else, such as
    a store or a person added through the API while trying Pitstop out, is left alone.
    """
    plans = await provision(runtime, tenants_dir, apply=True, adopt=True, deactivate=False)
    return await _set_demo_passwords(runtime, [p.slug for p in plans])


async def _set_demo_passwords(runtime: Runtime, slugs: list[str]) -> list[tuple[str, str, str]]:
    password_hash = hash_password(runtime.settings.demo_password)
    logins = []
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
                    user.replace_password(password_hash)
                    logins.append((tenant.slug, role, user.email))
                await session.flush()
    return logins
