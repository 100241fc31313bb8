"""``pitstop demo``: a newcomer's first minute — tenants, logins, and data to look at.

Idempotent: it re-applies the manifests (no change the second time) and resets every demo
staff member's password to ``PITSTOP_DEMO_PASSWORD`` so the printed logins always work.
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
from pitstop.tenancy.models import Tenant


async def load_demo(settings: Settings, tenants_dir: Path) -> str:
    runtime = Runtime.build(settings)
    try:
        plans = await provision(runtime, tenants_dir, apply=True)
        logins = await _set_demo_passwords(runtime, [p.slug for p in plans])
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


async def _set_demo_passwords(runtime: Runtime, slugs: list[str]) -> list[tuple[str, str, str]]:
    password_hash = hash_password(runtime.settings.demo_password)
    logins = []
    async with runtime.sessions() as session, session.begin():
        tenants = (await session.scalars(select(Tenant).where(Tenant.slug.in_(slugs)))).all()
        for tenant in sorted(tenants, key=lambda t: t.slug):
            with tenant_scope(tenant.id):
                rows = (
                    await session.execute(
                        select(User, Membership.role)
                        .join(Membership, Membership.user_id == User.id)
                        .where(Membership.active.is_(True), Membership.pending.is_(False))
                        .order_by(User.email)
                    )
                ).all()
                for user, role in rows:
                    user.replace_password(password_hash)
                    logins.append((tenant.slug, role, user.email))
                await session.flush()
    return logins
