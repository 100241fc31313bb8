"""Login limits that stop guessing without locking the rightful person out (defects 11, 12).

Requests come from chosen client addresses through httpx's ASGI transport; the per-address
tests go through uvicorn's own proxy-header middleware, configured exactly as
``pitstop serve`` configures it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar
from sqlalchemy import func, select

from pitstop.identity import lockout
from pitstop.identity.models import LoginFailure
from pitstop.serve import uvicorn_options
from pitstop.settings import Settings, SettingsError
from tests.support.demo import CHAIN_LOGINS, PASSWORD, Demo

ADMIN = CHAIN_LOGINS["hq_admin"]
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@asynccontextmanager
async def _from(app: Any, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _login(
    client: httpx.AsyncClient, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": ADMIN, "password": password},
        headers=headers or {},
    )


async def test_a_locked_account_still_opens_for_the_right_password_elsewhere(
    demo: Demo, app: Litestar
) -> None:
    # Given a fixed clock and ten wrong passwords for the admin from one address
    demo.runtime.clock.set(lambda: START)
    async with _from(app, "198.51.100.7") as attacker, _from(app, "203.0.113.20") as owner:
        for _ in range(10):
            assert (await _login(attacker, "wrong-password!")).status_code == 401
        # When the failing address tries again, even with the right password
        again = await _login(attacker, PASSWORD)
        # And the admin signs in from an address that has not failed
        signed_in = await _login(owner, PASSWORD)
    # Then the failing address is held off with 429 until the window ends
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) == 15 * 60
    # And the right password from elsewhere goes through
    assert signed_in.status_code == 200, signed_in.text


async def test_on_a_locked_account_a_new_address_gets_one_try(demo: Demo, app: Litestar) -> None:
    # Given the admin's account locked by ten failures from one address
    demo.runtime.clock.set(lambda: START)
    async with _from(app, "198.51.100.7") as first, _from(app, "198.51.100.8") as second:
        for _ in range(10):
            await _login(first, "wrong-password!")
        # When a second address guesses wrong, then tries the right password
        guess = await _login(second, "another-wrong-one")
        then = await _login(second, PASSWORD)
    # Then its wrong guess counts and closes the door for that address too
    assert guess.status_code == 401
    assert then.status_code == 429


async def test_past_the_ceiling_every_address_waits(
    demo: Demo, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a ceiling of twelve failures for one account (100 in production)
    monkeypatch.setattr(lockout, "ACCOUNT_CEILING", 12)
    demo.runtime.clock.set(lambda: START)
    # When twelve addresses each guess wrong once
    for i in range(12):
        async with _from(app, f"198.51.100.{i + 1}") as guesser:
            assert (await _login(guesser, "wrong-password!")).status_code == 401
    # Then even a clean address with the right password waits out the window
    async with _from(app, "203.0.113.20") as owner:
        held = await _login(owner, PASSWORD)
        assert held.status_code == 429
        demo.runtime.clock.set(lambda: START + dt.timedelta(minutes=15, seconds=1))
        assert (await _login(owner, PASSWORD)).status_code == 200


async def _counted(demo: Demo, address: str) -> int:
    async with demo.runtime.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.key == lockout.address_key(address))
            )
            or 0
        )


@pytest.mark.parametrize(
    ("trusted", "counted", "not_counted"),
    [((), "127.0.0.1", "203.0.113.9"), (("127.0.0.0/8",), "203.0.113.9", "127.0.0.1")],
    ids=["no-trusted-proxy", "peer-is-trusted"],
)
async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    demo: Demo, app: Litestar, trusted: tuple[str, ...], counted: str, not_counted: str
) -> None:
    # Given the API wrapped by uvicorn as `pitstop serve` wraps it, behind a peer at 127.0.0.1
    settings = demo.runtime.settings.with_overrides(trusted_proxies=trusted)
    config = uvicorn.Config(app, log_config=None, **uvicorn_options(settings))
    config.load()
    # When a failed login claims to come from elsewhere
    async with _from(config.loaded_app, "127.0.0.1") as client:
        response = await _login(client, "wrong-password!", {"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 401
    # Then the failure counts against the peer unless the peer is a configured proxy
    assert await _counted(demo, counted) == 1
    assert await _counted(demo, not_counted) == 0


def test_trusted_proxies_are_read_and_checked(tmp_path: Any) -> None:
    base = {"PITSTOP_VAR_DIR": str(tmp_path)}
    # Given no setting, nothing is trusted; given a list, each entry is an address or network
    assert Settings.from_env(base).trusted_proxies == ()
    listed = Settings.from_env({**base, "PITSTOP_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"})
    assert listed.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    # And a wrong entry stops start-up naming the setting
    with pytest.raises(SettingsError, match="PITSTOP_TRUSTED_PROXIES"):
        Settings.from_env({**base, "PITSTOP_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"})
