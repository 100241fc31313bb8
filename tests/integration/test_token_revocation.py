"""Tokens die with the password or the job they were issued for (security issue 11, defect 13)."""

from __future__ import annotations

from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo

NEW_PASSWORD = "a-brand-new-passphrase"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _change_password(demo: Demo, tenant: str | None, email: str) -> int:
    response = await demo.client.post(
        "/api/v1/auth/change-password",
        json={"tenant": tenant, "email": email, "password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    return response.status_code


async def test_a_password_change_revokes_tokens_issued_before_it(demo: Demo) -> None:
    # Given a token of the analyst
    email = CHAIN_LOGINS["hq_analyst"]
    before = await demo.token(email)
    assert (await demo.client.get("/api/v1/stores", headers=_bearer(before))).status_code == 200
    # When the analyst changes their password
    assert await _change_password(demo, "demo-chain", email) == 204
    # Then the earlier token is refused, and only the new password signs in
    assert (await demo.client.get("/api/v1/stores", headers=_bearer(before))).status_code == 401
    demo.tokens.clear()
    old = await demo.client.post(
        "/api/v1/auth/token", json={"tenant": "demo-chain", "email": email, "password": PASSWORD}
    )
    new = await demo.client.post(
        "/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": email, "password": NEW_PASSWORD},
    )
    assert (old.status_code, new.status_code) == (401, 200)
    after = new.json()["access_token"]
    assert (await demo.client.get("/api/v1/stores", headers=_bearer(after))).status_code == 200


async def test_a_platform_operators_password_change_revokes_their_tokens(demo: Demo) -> None:
    # Given a platform operator's token
    await demo.add_operator("ops@pitstop.example")
    before = await demo.token("ops@pitstop.example", tenant=None)
    # When the operator changes their password
    assert await _change_password(demo, None, "ops@pitstop.example") == 204
    # Then the earlier token no longer reaches the platform routes
    listed = await demo.client.get("/api/v1/platform/tenants", headers=_bearer(before))
    assert listed.status_code == 401


async def test_a_wrong_current_password_changes_nothing(demo: Demo) -> None:
    # When someone without the current password asks to change it
    response = await demo.client.post(
        "/api/v1/auth/change-password",
        json={
            "tenant": "demo-chain",
            "email": CHAIN_LOGINS["marketing"],
            "password": "not-the-password",
            "new_password": NEW_PASSWORD,
        },
    )
    # Then it is the login's 401, and the old password still works
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    assert await demo.token(CHAIN_LOGINS["marketing"])


async def test_reactivating_a_person_does_not_revive_their_old_tokens(demo: Demo) -> None:
    # Given a technician's token and the admin's
    admin = await demo.headers()
    old = await demo.headers("technician")
    staff = await demo.client.get("/api/v1/staff?limit=200", headers=admin)
    tech = next(s for s in staff.json()["items"] if s["email"] == CHAIN_LOGINS["technician"])
    # When the technician is deactivated and then reactivated
    for active in (False, True):
        changed = await demo.client.patch(
            f"/api/v1/staff/{tech['id']}", headers=admin, json={"active": active}
        )
        assert changed.status_code == 200 and changed.json()["active"] is active
    # Then the token from before stays dead, while a fresh login works
    assert (await demo.client.get("/api/v1/stores", headers=old)).status_code == 401
    demo.tokens.clear()
    fresh = await demo.headers("technician")
    assert (await demo.client.get("/api/v1/stores", headers=fresh)).status_code == 200
