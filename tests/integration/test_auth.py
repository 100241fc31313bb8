"""Logging in and the checks every token meets on every request."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from pitstop.identity.models import Membership, User
from pitstop.tenancy.models import Tenant, TenantStatus
from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo

ADMIN = CHAIN_LOGINS["hq_admin"]


async def _login(demo: Demo, tenant: str | None, email: str, password: str) -> tuple[int, dict]:
    response = await demo.client.post(
        "/api/v1/auth/token", json={"tenant": tenant, "email": email, "password": password}
    )
    return response.status_code, response.json()


async def test_login_issues_a_bearer_token(demo: Demo) -> None:
    # When the HQ admin logs in
    status, body = await _login(demo, "demo-chain", ADMIN, PASSWORD)
    # Then a bearer token with a 30-minute lifetime comes back and opens the API
    assert status == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800
    me = await demo.client.get(
        "/api/v1/stores", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200 and len(me.json()["items"]) == 4


async def test_every_wrong_credential_gets_the_same_answer(demo: Demo) -> None:
    # When the password, the e-mail or the tenant is wrong
    answers = [
        await _login(demo, "demo-chain", ADMIN, "wrong-password!"),
        await _login(demo, "demo-chain", "nobody@demo-chain.example", PASSWORD),
        await _login(demo, "no-such-tenant", ADMIN, PASSWORD),
        await _login(demo, "demo-shop", ADMIN, PASSWORD),  # right person, wrong tenant
    ]
    # Then each is the same 401, so nothing can be enumerated
    assert {status for status, _ in answers} == {401}
    assert len({(b["code"], b["detail"]) for _, b in answers}) == 1


async def test_tampered_and_expired_tokens_are_rejected(demo: Demo) -> None:
    # Given a valid token
    token = await demo.token(ADMIN)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}xx"
    # When it is tampered with, or used after its lifetime (injected clock)
    bad = await demo.client.get("/api/v1/stores", headers={"Authorization": f"Bearer {tampered}"})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
    demo.runtime.clock.set(lambda: later)
    expired = await demo.client.get("/api/v1/stores", headers={"Authorization": f"Bearer {token}"})
    # Then both are 401
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"
    assert expired.status_code == 401


async def test_no_token_is_401(demo: Demo) -> None:
    response = await demo.client.get("/api/v1/stores")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_deactivated_user_and_membership_lose_access_at_once(demo: Demo) -> None:
    # Given two staff with valid tokens
    advisor = await demo.headers("service_advisor")
    tech = await demo.headers("technician")
    # When one person is deactivated and the other's membership is
    async with demo.runtime.sessions() as session, session.begin():
        await session.execute(
            update(User).where(User.email == CHAIN_LOGINS["service_advisor"]).values(active=False)
        )
        tenant = (await session.scalars(select(Tenant).where(Tenant.slug == "demo-chain"))).one()
        from pitstop.db.tenant_context import tenant_scope

        with tenant_scope(tenant.id):
            user = (
                await session.scalars(select(User).where(User.email == CHAIN_LOGINS["technician"]))
            ).one()
            await session.execute(
                update(Membership).where(Membership.user_id == user.id).values(active=False)
            )
    # Then their unexpired tokens stop working
    assert (await demo.client.get("/api/v1/stores", headers=advisor)).status_code == 401
    assert (await demo.client.get("/api/v1/stores", headers=tech)).status_code == 401


async def test_suspended_tenant_gets_403_and_keeps_its_data(demo: Demo) -> None:
    # Given a token of the chain
    headers = await demo.headers()
    # When the tenant is suspended
    async with demo.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Tenant).where(Tenant.slug == "demo-chain").values(status=TenantStatus.suspended)
        )
    # Then requests and logins answer 403 tenant_suspended
    response = await demo.client.get("/api/v1/stores", headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "tenant_suspended"
    status, body = await _login(demo, "demo-chain", ADMIN, PASSWORD)
    assert status == 403 and body["code"] == "tenant_suspended"
    # And after resuming, the data is still there
    async with demo.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Tenant).where(Tenant.slug == "demo-chain").values(status=TenantStatus.active)
        )
    response = await demo.client.get("/api/v1/stores", headers=headers)
    assert len(response.json()["items"]) == 4


async def test_brute_force_is_locked_then_recovers_after_the_window(demo: Demo) -> None:
    # Given a fixed clock
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    demo.runtime.clock.set(lambda: start)
    # When ten wrong passwords are tried for one account
    for _ in range(10):
        status, _ = await _login(demo, "demo-chain", ADMIN, "wrong-password!")
        assert status == 401
    # Then even the right password is refused with 429 and a Retry-After
    response = await demo.client.post(
        "/api/v1/auth/token", json={"tenant": "demo-chain", "email": ADMIN, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) == 15 * 60
    # And the lock-out is audited once
    headers_later = start + dt.timedelta(minutes=15, seconds=1)
    demo.runtime.clock.set(lambda: headers_later)
    # When the window has passed, the right password works again
    status, body = await _login(demo, "demo-chain", ADMIN, PASSWORD)
    assert status == 200
    audit = await demo.client.get(
        "/api/v1/audit?action=auth.locked",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert audit.status_code == 200, audit.text
    assert len(audit.json()["items"]) == 1
    failed = await demo.client.get(
        "/api/v1/audit?action=auth.login_failed",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert len(failed.json()["items"]) == 10
