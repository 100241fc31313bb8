"""The demo tenants applied from tenants/, with logins, for API tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher, profiles
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from pitstop.identity.models import User
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant
from pitstop.tenant_manifests import provision
from pitstop.testing.runtime import mint_access_token

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)
"""The logins' hash in tests: argon2id at its cheapest. A login still runs production's
verifier (the parameters travel in the hash) but in microseconds, where the real parameters
cost 0.2-0.6 s a login on two cores (tests/unit/test_passwords.py holds the real ones)."""
TENANTS_DIR = Path(__file__).resolve().parents[2] / "tenants"

CHAIN_LOGINS = {
    "hq_admin": "admin@demo-chain.example",
    "hq_analyst": "analyst@demo-chain.example",
    "marketing": "marketing@demo-chain.example",
    "store_manager": "manager.sh001@demo-chain.example",
    "service_advisor": "advisor.sh001@demo-chain.example",
    "technician": "tech.sh001@demo-chain.example",
}


@dataclass
class Demo:
    runtime: Runtime
    client: AsyncTestClient[Litestar]
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    async def token(self, email: str, tenant: str | None = "demo-chain") -> str:
        """A staff member's session, opened as a login opens it minus the argon2 check (a
        login costs ~0.2 s; the login route has its own tests); operators log in for real."""
        key = (tenant or "", email)
        if key in self.tokens:
            return self.tokens[key]
        if tenant is None:
            response = await self.client.post(
                "/api/v1/auth/token", json={"tenant": tenant, "email": email, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[key] = response.json()["access_token"]
        else:
            async with self.runtime.sessions() as session:
                tenant_id = (
                    await session.scalars(select(Tenant.id).where(Tenant.slug == tenant))
                ).one()
            self.tokens[key] = await mint_access_token(self.runtime, tenant_id, email)
        return self.tokens[key]

    async def headers(self, role: str = "hq_admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(CHAIN_LOGINS[role])}"}

    async def store_id(self, code: str = "SH001") -> str:
        """The id of one of the demo chain's stores (a store-scoped role needs one)."""
        response = await self.client.get("/api/v1/stores", headers=await self.headers())
        return str(next(s["id"] for s in response.json()["items"] if s["code"] == code))

    async def add_operator(self, email: str = "ops@pitstop.example") -> None:
        """A platform operator whose password is ``PASSWORD``."""
        async with self.runtime.sessions() as session, session.begin():
            session.add(
                User(
                    email=email,
                    name="Ops",
                    platform_admin=True,
                    password_hash=PASSWORD_HASH,
                )
            )


async def provision_demo_tenants(runtime: Runtime) -> None:
    """The demo tenants in the runtime's database, every login's password :data:`PASSWORD`."""
    await provision(runtime, TENANTS_DIR, apply=True)
    password_hash = PASSWORD_HASH
    async with runtime.sessions() as session, session.begin():
        for user in (await session.scalars(select(User))).all():
            user.password_hash = password_hash


async def provision_demo(runtime: Runtime, client: AsyncTestClient[Litestar]) -> Demo:
    await provision_demo_tenants(runtime)
    return Demo(runtime, client)
