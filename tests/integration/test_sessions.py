"""Sessions and invites without loose ends (issue 12, item 5).

A newer invite revokes the older ones; invites are single-use and expire. A login returns a
short-lived access token and a refresh token that is rotated on use: presenting a rotated
one again revokes the whole session, as do logging out, deactivation and a password change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo

ANALYST = CHAIN_LOGINS["hq_analyst"]
NEW_PASSWORD = "a-brand-new-passphrase"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _clock(demo: Demo, moment: dt.datetime) -> None:
    demo.runtime.clock.set(lambda: moment)


async def _login(demo: Demo, email: str = ANALYST, tenant: str | None = "demo-chain") -> Any:
    response = await demo.client.post(
        "/api/v1/auth/token", json={"tenant": tenant, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _refresh(demo: Demo, token: str) -> Any:
    return await demo.client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def _opens(demo: Demo, access: str) -> bool:
    response = await demo.client.get("/api/v1/stores", headers=_bearer(access))
    assert response.status_code in (200, 401, 403), response.text
    return response.status_code != 401


async def _hire(demo: Demo, email: str) -> str:
    stores = await demo.client.get("/api/v1/stores", headers=await demo.headers())
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=await demo.headers(),
        json={
            "email": email,
            "name": "新人",
            "role": "technician",
            "stores": [stores.json()["items"][0]["id"]],
        },
    )
    assert hired.status_code == 201, hired.text
    return str(hired.json()["id"])


async def _invite(demo: Demo, staff_id: str) -> str:
    response = await demo.client.post(
        f"/api/v1/staff/{staff_id}/invite", headers=await demo.headers()
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


async def _set_password(demo: Demo, token: str) -> int:
    response = await demo.client.post(
        "/api/v1/auth/set-password",
        json={"tenant": "demo-chain", "token": token, "password": "my-first-password"},
    )
    return response.status_code


async def test_a_new_invite_revokes_the_older_ones(demo: Demo) -> None:
    # Given a new hire invited twice
    staff_id = await _hire(demo, "twice@demo-chain.example")
    first = await _invite(demo, staff_id)
    second = await _invite(demo, staff_id)
    # When the first invite is redeemed, it is refused; the newest one works once
    assert await _set_password(demo, first) == 401
    assert await _set_password(demo, second) == 204
    assert await _set_password(demo, second) == 401


async def test_an_invite_expires_after_72_hours(demo: Demo) -> None:
    # Given an invite issued now
    now = dt.datetime.now(dt.UTC)
    _clock(demo, now)
    token = await _invite(demo, await _hire(demo, "late@demo-chain.example"))
    # When it is redeemed a second after 72 hours
    _clock(demo, now + dt.timedelta(hours=72, seconds=1))
    # Then it is refused
    assert await _set_password(demo, token) == 401


async def test_login_returns_a_refresh_token_rotated_on_use(demo: Demo) -> None:
    # Given a login
    login = await _login(demo)
    assert login["refresh_token"].startswith("psr_")
    assert login["expires_in"] == 1800 and login["refresh_expires_in"] == 30 * 24 * 3600
    # When the refresh token is used
    refreshed = await _refresh(demo, login["refresh_token"])
    # Then a new access token and a new refresh token come back, and both access tokens work
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["refresh_token"] != login["refresh_token"]
    assert await _opens(demo, body["access_token"]) and await _opens(demo, login["access_token"])
    # And the new refresh token rotates in turn
    assert (await _refresh(demo, body["refresh_token"])).status_code == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_session(demo: Demo) -> None:
    # Given a session refreshed once (the thief holds the first refresh token)
    login = await _login(demo)
    rotated = (await _refresh(demo, login["refresh_token"])).json()
    # When the first refresh token is presented again
    reused = await _refresh(demo, login["refresh_token"])
    # Then it is refused, and the whole session is over: its refresh and access tokens
    assert reused.status_code == 401 and reused.json()["code"] == "invalid_token"
    assert (await _refresh(demo, rotated["refresh_token"])).status_code == 401
    assert not await _opens(demo, rotated["access_token"])
    assert not await _opens(demo, login["access_token"])
    # And a fresh login still works
    assert await _opens(demo, (await _login(demo))["access_token"])


async def test_logout_ends_the_session_only(demo: Demo) -> None:
    # Given two sessions of the same person
    mine, other = await _login(demo), await _login(demo)
    # When one logs out
    out = await demo.client.post("/api/v1/auth/logout", headers=_bearer(mine["access_token"]))
    # Then its access and refresh tokens stop working, the other session does not
    assert out.status_code == 204, out.text
    assert not await _opens(demo, mine["access_token"])
    assert (await _refresh(demo, mine["refresh_token"])).status_code == 401
    assert await _opens(demo, other["access_token"])
    assert (await _refresh(demo, other["refresh_token"])).status_code == 200


async def test_deactivation_and_password_change_revoke_refresh_tokens(demo: Demo) -> None:
    # Given a technician's and the analyst's sessions
    tech = await _login(demo, CHAIN_LOGINS["technician"])
    analyst = await _login(demo)
    admin = await demo.headers()
    staff = (await demo.client.get("/api/v1/staff?limit=200", headers=admin)).json()["items"]
    tech_id = next(s["id"] for s in staff if s["email"] == CHAIN_LOGINS["technician"])
    # When the technician is deactivated (and reactivated), and the analyst changes password
    for active in (False, True):
        changed = await demo.client.patch(
            f"/api/v1/staff/{tech_id}", headers=admin, json={"active": active}
        )
        assert changed.status_code == 200, changed.text
    changed = await demo.client.post(
        "/api/v1/auth/change-password",
        json={
            "tenant": "demo-chain",
            "email": ANALYST,
            "password": PASSWORD,
            "new_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 204
    # Then neither refresh token opens a new session
    assert (await _refresh(demo, tech["refresh_token"])).status_code == 401
    assert (await _refresh(demo, analyst["refresh_token"])).status_code == 401


async def test_a_refresh_token_expires(demo: Demo) -> None:
    # Given a login now
    now = dt.datetime.now(dt.UTC)
    _clock(demo, now)
    login = await _login(demo)
    # When the refresh token is used after its lifetime
    _clock(demo, now + dt.timedelta(days=30, seconds=1))
    # Then it is refused
    assert (await _refresh(demo, login["refresh_token"])).status_code == 401


async def test_garbage_refresh_tokens_get_the_same_401(demo: Demo) -> None:
    answers = [await _refresh(demo, token) for token in ("psr_nope", "x", "psk_abc_def")]
    assert {r.status_code for r in answers} == {401}
    assert len({r.json()["detail"] for r in answers}) == 1


async def test_an_operator_refreshes_and_logs_out_too(demo: Demo) -> None:
    # Given a platform operator's session
    await demo.add_operator()
    login = await _login(demo, "ops@pitstop.example", tenant=None)
    # When refreshed and then logged out
    refreshed = (await _refresh(demo, login["refresh_token"])).json()
    listed = await demo.client.get(
        "/api/v1/platform/tenants", headers=_bearer(refreshed["access_token"])
    )
    out = await demo.client.post("/api/v1/auth/logout", headers=_bearer(refreshed["access_token"]))
    # Then the refreshed token works until the logout, and not after
    assert listed.status_code == 200 and out.status_code == 204
    again = await demo.client.get(
        "/api/v1/platform/tenants", headers=_bearer(refreshed["access_token"])
    )
    assert again.status_code == 401
